"""The output file of a batch run: written as it goes, resumable after a kill.

Rows are appended batch by batch, each batch flushed and ``fsync``-ed, so a
run killed at any moment (even ``SIGKILL``) leaves every finished batch on
disk. Re-opened with ``resume=True``, the file is repaired (a partial last
line, cut by the kill, is dropped) and the keys already there are returned:
the run skips them, so no result is lost and none is written twice. A run
that ends writes a ``.done`` marker beside the file.

Formats, from the file's suffix: JSON lines (``.jsonl``, ``.json``), CSV
(``.csv``: ``file, label, score``, one column per class, the
``arousal, valence, dominance`` columns of a dimensional model, ``error``) and
Parquet (``.parquet``, needs ``pyarrow``: the ``[parquet]`` extra). A
Parquet file cannot be appended to, so its rows go to a JSON-lines journal
(``NAME.parquet.part.jsonl``), turned into the Parquet file when the run
ends.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS

__all__ = ["FORMATS", "ResultFile", "result_format"]

#: Output formats by file suffix.
FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def result_format(path: str | os.PathLike) -> str:
    """The format of an output file, from its suffix.

    Example
    -------
    >>> result_format("preds.csv"), result_format("x/preds.JSONL")
    ('csv', 'jsonl')
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"--output {path}: unknown format; name it .jsonl, .csv or .parquet"
        )
    return FORMATS[suffix]


def _fsync_append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _repair(path: Path) -> None:
    """Cuts the file after its last newline (a kill can leave half a line)."""
    size = path.stat().st_size
    if not size:
        return
    with open(path, "rb+") as handle:
        block = 1 << 16
        end = size
        while end > 0:
            start = max(0, end - block)
            handle.seek(start)
            data = handle.read(end - start)
            cut = data.rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            end = start
        else:
            keep = 0
        if keep < size:
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())


class ResultFile:
    """One output file of a batch run (see the module's description).

    Arguments
    ---------
    path : path
        The output file; its suffix gives the format.
    labels : list of str, optional
        The class names (the CSV and Parquet columns).
    dimensions : sequence of str
        The emotion dimensions of a dimensional model's rows (their CSV and
        Parquet columns, after the classes; rows carry them in
        ``dimensions``).

    Example
    -------
    >>> import tempfile
    >>> out = ResultFile(Path(tempfile.mkdtemp()) / "p.csv", ["sad", "happy"])
    >>> out.start()
    set()
    >>> out.write([{"file": "a.wav", "label": "sad", "score": 0.75,
    ...             "probabilities": {"sad": 0.75, "happy": 0.25}},
    ...            {"file": "b.wav", "error": "b.wav: file not found"}])
    >>> with open(out.path, "a") as f:  # a kill in the middle of a line
    ...     _ = f.write("c.wav,ha")
    >>> sorted(ResultFile(out.path, ["sad", "happy"]).start())
    ['a.wav', 'b.wav']
    >>> [r.get("error") for r in out.rows()]
    [None, 'b.wav: file not found']
    """

    def __init__(
        self,
        path: str | os.PathLike,
        labels: Sequence[str] | None = None,
        dimensions: Sequence[str] = (),
    ):
        self.path = Path(path)
        self.format = result_format(self.path)
        self.labels = list(labels) if labels else None
        self.dimensions = list(dimensions)
        #: Rows and error rows found when the file was opened.
        self.previous = {"rows": 0, "errors": 0}

    @property
    def journal(self) -> Path:
        """The file rows are appended to (the output, or a Parquet's journal)."""
        if self.format == "parquet":
            return self.path.with_name(self.path.name + ".part.jsonl")
        return self.path

    @property
    def marker(self) -> Path:
        """The ``.done`` marker written when the run ends."""
        return self.path.with_name(self.path.name + ".done")

    def finished(self) -> bool:
        """Whether the run that wrote this file ended."""
        return self.marker.exists()

    def _header(self) -> list[str]:
        return [
            "file",
            "label",
            "score",
            *(self.labels or []),
            *self.dimensions,
            "error",
        ]

    def start(self, resume: bool = True) -> set[str]:
        """Opens the file for appending; returns the keys it already holds.

        Arguments
        ---------
        resume : bool
            Keep and repair what is there (else start from nothing).

        Returns
        -------
        set of str
            The ``file`` of every row already written.
        """
        if self.format == "parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise ValueError(
                    "Parquet output needs pyarrow: pip install "
                    '"speechbrain-lstm-ser[parquet]" (or write .jsonl / .csv)'
                ) from None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.marker.unlink(missing_ok=True)
        done: set[str] = set()
        if not resume or not self.journal.exists():
            self.journal.write_text("")
            if self.format == "csv":
                self._write_text(self._csv_lines([self._header()]))
            return done
        _repair(self.journal)
        if self.format == "csv":
            found = self.read_labels()
            if found is None:  # the kill came before the header was complete
                self.journal.write_text("")
                self._write_text(self._csv_lines([self._header()]))
                return done
            if self.labels and found != self.labels:
                raise ValueError(
                    f"{self.path} has the classes {found}, this model {self.labels}: "
                    "write to another file"
                )
            if self.read_dimensions() != self.dimensions:
                raise ValueError(
                    f"{self.path} has the dimension columns {self.read_dimensions()}, "
                    f"this model {self.dimensions}: write to another file"
                )
        for row in self.rows():
            done.add(row["file"])
            self.previous["rows"] += 1
            self.previous["errors"] += bool(row.get("error"))
        return done

    def read_labels(self) -> list[str] | None:
        """The class names the file was written with (None: not known yet)."""
        if not self.journal.exists():
            return None
        if self.format == "csv":
            with open(self.journal, encoding="utf-8", newline="") as handle:
                header = handle.readline()
            if not header.endswith("\n"):
                return None
            return _split_columns(next(csv.reader([header])))[0]
        for row in self.rows():
            if row.get("probabilities"):
                return list(row["probabilities"])
        return None

    def read_dimensions(self) -> list[str]:
        """The dimensions the file was written with (empty: none, or not known)."""
        if not self.journal.exists():
            return []
        if self.format == "csv":
            with open(self.journal, encoding="utf-8", newline="") as handle:
                header = handle.readline()
            return _split_columns(next(csv.reader([header])))[1] if header else []
        for row in self.rows():
            if row.get("probabilities"):
                return list(row.get("dimensions") or ())
        return []

    def rows(self) -> Iterator[dict]:
        """The rows of the file as dicts.

        Each has ``file``, then ``label``, ``score``, ``probabilities``
        (and ``dimensions`` when the file has them), or ``error``.
        """
        with open(self.journal, encoding="utf-8", newline="") as handle:
            if self.format != "csv":
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError:
                        raise ValueError(
                            f"{self.journal}:{number}: not a JSON line; was the "
                            "file written by another program?"
                        ) from None
                return
            reader = csv.reader(handle)
            names = next(reader, None)
            if names is None:
                return
            labels, dims = _split_columns(names)
            for record in reader:
                if len(record) != len(names):
                    raise ValueError(f"{self.journal}: a row has {len(record)} columns")
                if record[-1]:
                    yield {"file": record[0], "error": record[-1]}
                    continue
                values = record[3:-1]
                row = {
                    "file": record[0],
                    "label": record[1],
                    "score": float(record[2]),
                    "probabilities": {
                        name: float(value)
                        for name, value in zip(labels, values, strict=False)
                    },
                }
                if dims:
                    known = zip(dims, values[len(labels) :], strict=True)
                    row["dimensions"] = {name: float(v) for name, v in known}
                yield row

    def _csv_lines(self, records: list[list]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(records)
        return buffer.getvalue()

    def _write_text(self, text: str) -> None:
        if text:
            _fsync_append(self.journal, text)

    def write(self, rows: Sequence[dict]) -> None:
        """Appends rows, then flushes and syncs them to disk.

        Arguments
        ---------
        rows : sequence of dict
            Each with ``file`` and either ``label``, ``score``,
            ``probabilities`` or ``error``.
        """
        if not rows:
            return
        if self.format != "csv":
            text = "".join(json.dumps(row) + "\n" for row in rows)
        else:
            labels, dims = self.labels or [], self.dimensions
            empty = [""] * (len(labels) + len(dims))
            text = self._csv_lines(
                [
                    [row["file"], "", "", *empty, row["error"]]
                    if row.get("error")
                    else [
                        row["file"],
                        row["label"],
                        row["score"],
                        *((row.get("probabilities") or {}).get(n, "") for n in labels),
                        *((row.get("dimensions") or {}).get(n, "") for n in dims),
                        "",
                    ]
                    for row in rows
                ]
            )
        self._write_text(text)

    def finish(self, summary: dict) -> None:
        """Ends the run: the Parquet file (from its journal), then the marker.

        Arguments
        ---------
        summary : dict
            Written into the ``.done`` marker (counts, for the merge).
        """
        if self.format == "parquet":
            self._write_parquet()
        tmp = self.marker.with_name(self.marker.name + ".tmp")
        tmp.write_text(json.dumps(summary) + "\n")
        os.replace(tmp, self.marker)

    def _write_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        labels = self.labels or self.read_labels() or []
        dims = self.dimensions or self.read_dimensions()
        columns: dict[str, list] = {name: [] for name in ["file", "label", "score"]}
        columns.update({name: [] for name in [*labels, *dims]})
        columns["error"] = []
        for row in self.rows():
            probs = row.get("probabilities") or {}
            values = row.get("dimensions") or {}
            columns["file"].append(row["file"])
            columns["label"].append(row.get("label"))
            columns["score"].append(row.get("score"))
            for name in labels:
                columns[name].append(probs.get(name))
            for name in dims:
                columns[name].append(values.get(name))
            columns["error"].append(row.get("error"))
        numeric = ["score", *labels, *dims]
        types = {name: pa.float64() for name in numeric}
        table = pa.table(
            {
                name: pa.array(values, type=types.get(name, pa.string()))
                for name, values in columns.items()
            }
        )
        tmp = self.path.with_name(self.path.name + ".tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, self.path)


def _split_columns(names: list[str]) -> tuple[list[str], list[str]]:
    """A CSV header's classes and dimensions (the columns between score and error).

    Example
    -------
    >>> _split_columns(["file", "label", "score", "sad", "arousal", "error"])
    (['sad'], ['arousal'])
    """
    middle = names[3:-1]
    first = len(middle)
    while first and middle[first - 1] in DIMENSIONS:
        first -= 1
    return middle[:first], middle[first:]
