"""Batch inference at scale: many files, length-sorted batches, resumable output.

What ``sb-lstm-ser predict`` runs. The inputs (folders, file lists,
manifests: :func:`~speechbrain_lstm_ser.serving.inputs.iter_audio_files`) are
streamed, never listed in full; DataLoader workers decode and resample;
the main process gathers up to ``sort_buffer`` decoded files, sorts them
by length and classifies them ``batch_size`` at a time with the model's
``predict_batch`` (the API's checks and speech gate, then zero padding and
relative lengths ``lens``: the same forward pass as one file at a time, within
the tolerance stated in docs/serving.md). Files are read with the model's
``read_checked``, as one at a time; files longer than the model's
``max_duration`` go through ``predict_file`` (window by window), one at a time.
A file without speech is a row with ``label: null, speech: false`` and the
reason.

Results go to a :class:`~speechbrain_lstm_ser.serving.results.ResultFile`
batch by batch (flushed and synced: a killed run loses nothing and, re-run,
skips what is done) or to standard output in input order. A bad file is a
row with its error; the run goes on.

Example
-------
>>> from speechbrain_lstm_ser.inference import load_model  # doctest: +SKIP
>>> model = load_model("results/emotion_lstm/1986/model")  # doctest: +SKIP
>>> summary = BatchPredictor(model).run(["corpus/"], "preds.csv")  # doctest: +SKIP

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import heapq
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from speechbrain_lstm_ser.dataio.audio import AudioError, pad_waveforms
from speechbrain_lstm_ser.inference.checks import AudioWarning
from speechbrain_lstm_ser.serving.inputs import iter_audio_files
from speechbrain_lstm_ser.serving.results import ResultFile
from speechbrain_lstm_ser.serving.shards import Shard, shard_path

__all__ = ["BatchPredictor", "Decoded", "RunSummary", "prediction_row"]

#: The file extensions a folder is searched for (the CLI passes its own).
DEFAULT_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".opus", ".aiff", ".aif", ".au")


class Decoded(NamedTuple):
    """One input as a worker hands it over."""

    position: int
    key: str
    path: Path
    wav: torch.Tensor | None = None
    error: str | None = None
    #: Longer than the model's ``max_duration``: classified window by window.
    long: bool = False
    #: The file's warnings (narrowband, truncated), each naming the file.
    warnings: tuple[str, ...] = ()


def _one_thread(_worker: int) -> None:
    torch.set_num_threads(1)


class _AudioFiles(IterableDataset):
    """Decodes the inputs in DataLoader workers (each takes every n-th file)."""

    def __init__(self, items: Callable[[], Iterator[tuple[int, str, Path]]], model):
        super().__init__()
        self.items = items
        self.model = model

    def __iter__(self) -> Iterator[Decoded]:
        worker = get_worker_info()
        index, count = (worker.id, worker.num_workers) if worker else (0, 1)
        for n, (position, key, path) in enumerate(self.items()):
            if n % count == index:
                yield self.decode(position, key, path)

    def decode(self, position: int, key: str, path: Path) -> Decoded:
        try:
            _, duration = self.model.audio_file(path)
            if duration > self.model.max_duration:
                return Decoded(position, key, path, long=True)
            wav, notes = self.model.read_checked(path)  # the API's one reading
        except AudioError as err:
            return Decoded(position, key, path, error=str(err))
        return Decoded(position, key, path, wav=wav, warnings=notes)


@dataclass
class RunSummary:
    """What a run did (and what earlier runs into the same file had done)."""

    output: Path | None = None
    done: int = 0
    failed: int = 0
    skipped: int = 0
    previous_failed: int = 0
    seconds: float = 0.0
    shard: Shard | None = None


def prediction_row(found, shown: Sequence[str], notes: Sequence[str] = ()) -> dict:
    """The output row of one ``Prediction`` (batch files and the service alike).

    Arguments
    ---------
    found : Prediction
        From the model's ``predict_batch`` or ``predict_file``.
    shown : sequence of str
        The classes whose probabilities the row lists.
    notes : sequence of str
        Warnings about the file, before the prediction's own.

    Returns
    -------
    dict
        ``label``, ``score``, ``speech`` and ``probabilities`` (and
        ``dimensions``, name to value in ``[0, 1]``, for a dimensional
        model), or, without speech, ``label: None``, ``speech: False`` and
        the ``reason``; and ``warnings`` when there are any. A model of the
        dimensions alone (untrained classifier) has ``label`` and ``score``
        None and no ``probabilities``.

    Example
    -------
    >>> from speechbrain_lstm_ser.inference.classifier import Prediction
    >>> prediction_row(Prediction(None, None, None, False, "no speech found"), [])
    {'label': None, 'score': None, 'speech': False, 'reason': 'no speech found'}
    >>> prediction_row(Prediction(None, None, None, True,
    ...                           dimensions={"arousal": 0.25}), [])
    {'label': None, 'score': None, 'speech': True, 'dimensions': {'arousal': 0.25}}
    """
    if not found.speech:  # an answer, not an error: no class is claimed
        row = {"label": None, "score": None, "speech": False, "reason": found.reason}
    elif found.label is None:  # a model of the dimensions alone
        row = {"label": None, "score": None, "speech": True}
    else:
        row = {
            "label": found.label,
            "score": round(found.score, 6),
            "speech": True,
            "probabilities": {n: round(found.probabilities[n], 6) for n in shown},
        }
    if found.speech and found.dimensions is not None:
        row["dimensions"] = {n: round(v, 6) for n, v in found.dimensions.items()}
    notes = list(notes) + [n for n in found.warnings if n not in notes]
    if notes:
        row["warnings"] = notes
    return row


class BatchPredictor:
    """Classifies many files in length-sorted batches (see the module's text).

    Arguments
    ---------
    model : UtteranceClassifier
        A loaded classifier (``load_model`` / ``from_hparams``).
    batch_size : int
        Files classified together.
    sort_buffer : int
        Decoded files sorted by length together (memory: this many files).
    workers : int
        DataLoader worker processes decoding and resampling (0: the main
        process decodes).
    labels : list of str, optional
        Only these classes (probabilities renormalised over them).
    speakers : dict, optional
        Enrolled speaker of each path (speaker-normalised models).
    name : callable, optional
        The ``file`` key of a path in the output (default ``str``).
    """

    def __init__(
        self,
        model,
        batch_size: int = 16,
        sort_buffer: int = 256,
        workers: int = 1,
        labels: Sequence[str] | None = None,
        speakers: dict[Path, str] | None = None,
        name: Callable[[Path], str] = str,
        gate: bool | None = None,
    ):
        if batch_size < 1 or sort_buffer < 1 or workers < 0:
            raise ValueError(
                f"batch_size and sort_buffer must be >= 1 and workers >= 0, got "
                f"{batch_size}, {sort_buffer}, {workers}"
            )
        self.model = model
        self.batch_size = batch_size
        self.sort_buffer = max(sort_buffer, batch_size)
        self.workers = workers
        self.labels = list(labels) if labels else None
        self.speakers = speakers or {}
        self.name = name
        self.gate = gate

    # ------------------------------------------------------------ rows
    def _row(self, key: str, found, notes: Sequence[str] = ()) -> dict:
        return {"file": key} | prediction_row(
            found, self.labels or self.model.labels, notes
        )

    def _classify(self, items: list[Decoded]) -> list[tuple[int, dict]]:
        """One padded batch, speech gate included; a failing one goes file by file."""
        wavs, lens = pad_waveforms([item.wav for item in items])
        speaker = None
        if self.speakers:
            speaker = [self.speakers.get(item.path) for item in items]
            if None in speaker:  # mixed: one at a time
                return [row for item in items for row in self._classify_alone(item)]
        try:
            found = self.model.predict_batch(
                wavs,
                lens,
                self.labels,
                speaker=speaker,
                gate=self.gate,
                names=[str(item.path) for item in items],
            )
        except (AudioError, ValueError):
            if len(items) == 1:
                raise
            return [row for item in items for row in self._classify_alone(item)]
        return [
            (item.position, self._row(item.key, one, item.warnings))
            for item, one in zip(items, found, strict=True)
        ]

    def _classify_alone(self, item: Decoded) -> list[tuple[int, dict]]:
        try:
            if item.long:
                with warnings.catch_warnings():  # kept in the row instead
                    warnings.simplefilter("ignore", AudioWarning)
                    found = self.model.predict_file(
                        item.path,
                        labels=self.labels,
                        speaker=self.speakers.get(item.path),
                        gate=self.gate,
                    )
                return [(item.position, self._row(item.key, found))]
            return self._classify([item])
        except (AudioError, ValueError) as err:
            return [(item.position, {"file": item.key, "error": str(err)})]

    # ------------------------------------------------------------ engine
    def batches(
        self, items: Callable[[], Iterator[tuple[int, str, Path]]]
    ) -> Iterator[list[tuple[int, dict]]]:
        """Results, one list per classified batch.

        Arguments
        ---------
        items : callable
            Returns a fresh iterator of ``(position, key, path)`` (called
            once in each worker).

        Yields
        ------
        list of (int, dict)
            ``(position, row)``; a row has ``file`` and ``label``, ``score``,
            ``probabilities`` or ``error``. Rows come batch by batch, sorted
            by length within ``sort_buffer`` (``position`` gives the order).
        """
        dataset = _AudioFiles(items, self.model)
        extra = {}
        if self.workers:
            extra = {
                "worker_init_fn": _one_thread,
                # let the workers decode a whole buffer ahead
                "prefetch_factor": max(2, self.sort_buffer // self.workers),
            }
        loader = DataLoader(
            dataset,
            batch_size=None,
            num_workers=self.workers,
            collate_fn=lambda item: item,
            **extra,
        )
        buffer: list[Decoded] = []
        pending: list[tuple[int, dict]] = []
        for item in loader:
            if item.error is not None:
                pending.append((item.position, {"file": item.key, "error": item.error}))
            elif item.long:
                yield pending + self._classify_alone(item)
                pending = []
            else:
                buffer.append(item)
            if len(buffer) >= self.sort_buffer:
                for rows in self._sorted(buffer):
                    yield pending + rows
                    pending = []
                buffer = []
        for rows in self._sorted(buffer):
            yield pending + rows
            pending = []
        if pending:
            yield pending

    def _sorted(self, buffer: list[Decoded]) -> Iterator[list[tuple[int, dict]]]:
        buffer = sorted(buffer, key=lambda item: item.wav.numel())
        for first in range(0, len(buffer), self.batch_size):
            yield self._classify(buffer[first : first + self.batch_size])

    # ------------------------------------------------------------ runs
    def run(
        self,
        inputs: Iterable[str | os.PathLike],
        output: str | os.PathLike | None = None,
        shard: Shard | None = None,
        resume: bool = True,
        progress: bool = False,
        extensions: Sequence[str] = DEFAULT_EXTENSIONS,
        data_root: str | None = None,
        emit: Callable[[dict], None] | None = None,
        extra_paths: Sequence[Path] = (),
    ) -> RunSummary:
        """Classifies every input file into ``output`` (or ``emit``).

        Arguments
        ---------
        inputs : iterable of path
            Files, folders, file lists, manifests (see
            :func:`~speechbrain_lstm_ser.serving.inputs.iter_audio_files`).
            Iterated once per worker and once for the progress total.
        output : path, optional
            A ``.jsonl``, ``.csv`` or ``.parquet`` file, written batch by
            batch; with ``shard``, the shard's own file
            (:func:`~speechbrain_lstm_ser.serving.shards.shard_path`).
        shard : Shard, optional
            Only this shard's inputs.
        resume : bool
            Keep the rows already in ``output`` and skip their files.
        progress : bool
            A progress bar with the rate and ETA on standard error.
        extensions : sequence of str
            Audio suffixes searched for in folders.
        data_root : str, optional
            ``$data_root`` of SpeechBrain manifests.
        emit : callable, optional
            Without ``output``: called with each row, in input order.
        extra_paths : sequence of Path
            More files after the inputs (e.g. the files of a speaker list).

        Returns
        -------
        RunSummary
        """
        inputs = list(inputs)
        sink = None
        done: set[str] = set()
        summary = RunSummary(shard=shard)
        if output is not None:
            summary.output = shard_path(output, shard)
            sink = ResultFile(
                summary.output,
                self.labels or self.model.labels,
                self.model.dimension_names,
            )
            done = sink.start(resume=resume)
            summary.previous_failed = sink.previous["errors"]
        summary.skipped = len(done)

        def items() -> Iterator[tuple[int, str, Path]]:
            paths = iter_audio_files(inputs, extensions, data_root)
            number = 0  # consecutive over what this run classifies
            for position, path in enumerate(_chain(paths, extra_paths)):
                if shard is not None and not shard.takes(position):
                    continue
                key = self.name(path)
                if key not in done:
                    yield number, key, path
                    number += 1

        total = sum(1 for _ in items()) if progress else None
        from tqdm import tqdm

        bar = tqdm(
            total=total,
            disable=not progress,
            file=sys.stderr,
            unit="file",
            dynamic_ncols=True,
        )
        ordered = _InOrder(emit) if sink is None and emit is not None else None
        start = time.perf_counter()
        try:
            for rows in self.batches(items):
                if sink is not None:
                    sink.write([row for _, row in rows])
                elif ordered is not None:
                    ordered.add(rows)
                for _, row in rows:
                    if row.get("error"):
                        summary.failed += 1
                        if sink is not None or ordered is None:
                            bar.write(f"error: {row['error']}", file=sys.stderr)
                    else:
                        summary.done += 1
                bar.update(len(rows))
        finally:
            bar.close()
            summary.seconds = time.perf_counter() - start
        if ordered is not None:
            ordered.flush()
        if sink is not None:
            sink.finish(
                {
                    "rows": summary.done + summary.failed + summary.skipped,
                    "errors": summary.failed + summary.previous_failed,
                    "shard": list(shard) if shard else None,
                }
            )
        return summary


def _chain(paths: Iterator[Path], extra: Sequence[Path]) -> Iterator[Path]:
    yield from paths
    yield from extra


class _InOrder:
    """Hands rows to ``emit`` in input order, as soon as their turn comes.

    Rows arrive sorted by length within a sort buffer, so at most a buffer
    (and the workers' prefetch) waits here.
    """

    def __init__(self, emit: Callable[[dict], None]):
        self.emit = emit
        self.heap: list[tuple[int, dict]] = []
        self.next = 0

    def add(self, rows: list[tuple[int, dict]]) -> None:
        for position, row in rows:
            heapq.heappush(self.heap, (position, row))
        while self.heap and self.heap[0][0] == self.next:
            self.emit(heapq.heappop(self.heap)[1])
            self.next += 1

    def flush(self) -> None:
        while self.heap:
            self.emit(heapq.heappop(self.heap)[1])
