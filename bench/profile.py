"""Where the time of a training epoch goes, next to the bare model's speed.

Trains the emotion recipe's configuration (``hparams/lstm.yaml`` by default,
with any override) for two epochs and splits the last one's wall time into the
phases of a training step, once per thread count. The first epoch fills the
pre-processing cache (``preprocess_cache_mb``): the last is what the rest of a
training looks like (``--epochs 1`` times the first)::

    python -m bench.profile                          # 1 and 2 threads
    python -m bench.profile --batches 20 --threads 2 --json profile.json
    python -m bench.profile --hparams hparams/lstm.yaml --batch_size 32
    python -m bench.profile --hparams hparams/streaming_lstm.yaml --threads 1 \
        --augment_in_loader True --dataloader_options "{batch_size: 16, \
        shuffle: True, num_workers: 2, drop_last: True}"

Interleaved with the training, batch by batch and on the same features, it
times the forward and backward pass of a plain ``torch.nn.LSTM`` of the
encoder's shape and of the model alone (encoder, pooling, head and loss): the
speed the training could reach if everything around the model were free.
``training / bare LSTM`` is the share of that speed the training reaches
(audio seconds per second, the same audio for all three).

The training step is the recipe's (``recipes/emotion/train.py``:
``ProfiledBrain`` mirrors its ``compute_forward`` and ``compute_objectives``,
and must change with them), stage by stage, built from the objects of the
YAML (loaded with :func:`~speechbrain_lstm_ser.training.hparams.load_hparams`)
and run by the project's ``Brain``: SpeechBrain's own loop, gradient clipping
and optimiser step. Data loading is everything between two steps (the data
loader, the progress bookkeeping); backward is what remains of a step. With
``--augment_in_loader True`` the pre-processing and augmentation run in the
loader (:mod:`speechbrain_lstm_ser.dataio.loader_augmentation`), so they
count as data loading; with ``num_workers > 0`` in ``dataloader_options``
they overlap the step, and only the wait for a batch is counted. The
end-of-epoch checkpoint goes to a temporary folder: a profile never resumes
from, nor writes into, a recipe's output folder (its manifests go to
``results/profile`` unless ``--output_folder`` says otherwise).

Each thread count runs in its own process with ``OMP_NUM_THREADS`` and
``torch.set_num_threads`` set to it; ``OMP_WAIT_POLICY`` and the like are
passed on and shown. With ``--device cuda:0`` every phase ends with a device
synchronisation (for the profile only: the recipe has none there). Wall times
of a shared machine are noisy: compare ratios measured in the same run, and
repeat.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import speechbrain as sb
import torch
from speechbrain.utils.epoch_loop import EpochCounter

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.dataio.loader_augmentation import (
    loader_augmented,
    loader_preprocessed,
)
from speechbrain_lstm_ser.dataio.prepare_emotion import prepare_emotion_data
from speechbrain_lstm_ser.evaluation.reports import write_json
from speechbrain_lstm_ser.training.brain import Brain
from speechbrain_lstm_ser.training.checkpoints import AtomicCheckpointer
from speechbrain_lstm_ser.training.hparams import HparamsError, load_hparams

__all__ = ["PHASES", "cpu_name", "format_table", "main", "profile_epoch"]

ROOT = Path(__file__).resolve().parents[1]
HPARAMS = ROOT / "hparams" / "lstm.yaml"

#: The phases of a training epoch, in the order of a step.
PHASES = (
    "data loading and decoding",
    "preprocessing",
    "augmentation",
    "features",
    "normalisation",
    "encoder forward",
    "pooling + head forward",
    "backward",
    "optimiser step",
    "checkpointing",
)


#: What the profiled step takes from the YAML (the emotion recipe's names).
_EMOTION_KEYS = (
    "preprocess",
    "wav_augment",
    "compute_features",
    "mean_var_norm",
    "encoder",
    "pooling",
    "classifier",
    "compute_cost",
    "n_mels",
    "lstm_hidden",
    "lstm_layers",
    "bidirectional",
    "lstm_dropout",
)

#: Environment variables that change how the threads of PyTorch behave.
_THREAD_ENV = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")


def cpu_name() -> str:
    """The processor's model name (``/proc/cpuinfo``, else ``platform``).

    Returns
    -------
    str

    Example
    -------
    >>> isinstance(cpu_name(), str) and len(cpu_name()) > 0
    True
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


class _Timer:
    """Wall time per phase; waits for the device at the end of each phase."""

    def __init__(self, device: str):
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.cuda = torch.device(device).type == "cuda"

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.sync()
            self.seconds[phase] += time.perf_counter() - start


class _FirstBatches:
    """The first ``limit`` batches of a data loader (all of them if None)."""

    def __init__(self, loader: Iterable, limit: int | None):
        self.loader = loader
        self.limit = limit

    def __len__(self) -> int:
        size = len(self.loader)
        return size if self.limit is None else min(size, self.limit)

    def __iter__(self) -> Iterator:
        for i, batch in enumerate(self.loader):
            if self.limit is not None and i >= self.limit:
                return
            yield batch


class ProfiledBrain(Brain):
    """The emotion recipe's training step, timed phase by phase.

    ``compute_forward`` and ``compute_objectives`` are those of
    ``recipes/emotion/train.py`` with a timer around each stage; after each
    step, the bare LSTM and the model alone run on the step's features.
    """

    def on_fit_start(self):
        """Makes the optimiser, then the bare LSTM and a copy of the model."""
        super().on_fit_start()
        hp = self.hparams
        self.bare = torch.nn.LSTM(
            hp.n_mels + getattr(hp, "prosody_channels", 0),
            hp.lstm_hidden,
            num_layers=hp.lstm_layers,
            bidirectional=hp.bidirectional,
            dropout=hp.lstm_dropout,
            batch_first=True,
        ).to(self.device)
        # A copy, so that measuring it leaves the training untouched.
        self.alone = copy.deepcopy(hp.model).train()
        self.step_end = None

    def on_stage_start(self, stage, epoch=None):
        """Zeroes the counts (the last epoch's are reported), starts the clocks."""
        super().on_stage_start(stage, epoch)
        self.timer = _Timer(self.device)
        self.comparison = {"bare_lstm_s": 0.0, "model_s": 0.0}
        self.audio_s = 0.0
        self.frames = [0, 0]  # real, padded (encoder input)
        self.utterances = 0
        self.batches = 0
        cache = self.preprocess_cache
        self.cache_start = (cache.hits, cache.misses) if cache is not None else None
        self.epoch = epoch
        self.step_end = time.perf_counter()

    def cache_hit_share(self) -> float | None:
        """The share of this epoch's utterances the pre-processing cache held."""
        cache = self.preprocess_cache
        if cache is None:
            return None
        hits = cache.hits - self.cache_start[0]
        seen = hits + cache.misses - self.cache_start[1]
        return round(hits / seen, 4) if seen else 0.0

    def compute_forward(self, batch, stage):
        """The recipe's forward pass, stage by stage."""
        hp, timer = self.hparams, self.timer
        wavs, lens = batch.sig  # still on the CPU: no device synchronisation
        self.audio_s += self.batch_audio_seconds(batch)  # as read (untrimmed)
        self.utterances += wavs.shape[0]
        with timer("data loading and decoding"):
            batch = batch.to(self.device)
        wavs, lens = batch.sig
        if not loader_augmented(batch):  # else the loader did both (data loading)
            if not loader_preprocessed(batch):  # else the loader did it
                with timer("preprocessing"):  # from the cache after its first pass
                    wavs, lens = self.preprocessed(batch, stage)
            if stage == sb.Stage.TRAIN and hp.augment:
                with timer("augmentation"):
                    wavs, lens = hp.wav_augment(wavs, lens)
        with timer("features"):
            feats = hp.model.raw_features(wavs, lens)  # lengths where it takes them
            # each utterance's frames, counted as the model counts them
            lens = hp.model.frame_lengths(wavs, lens, feats.shape[1])
        with timer("normalisation"):
            # The reference of speaker normalisation costs the same as the
            # utterance's own, which this profile uses (no speaker statistics).
            if hp.model.reference_norm is not None:
                feats = hp.model.reference_norm(feats, lens)
            feats = hp.mean_var_norm(feats, lens, epoch=self.epoch)
        with timer("encoder forward"):
            encoded = hp.encoder(feats, lens)
        with timer("pooling + head forward"):
            out = hp.classifier(hp.model.pool(encoded, feats, lens))
        self.features = (feats.detach(), lens)
        return out

    def compute_objectives(self, predictions, batch, stage):
        """The recipe's loss (timed with the head)."""
        with self.timer("pooling + head forward"):
            emo, _ = batch.emo_encoded
            replicate = self.label_replicator(batch, stage)
            if replicate is not None:
                emo = replicate(emo)
            self.labels = emo
            return self.hparams.compute_cost(predictions, emo)

    def fit_batch(self, batch):
        """One training step; backward is what the other phases leave."""
        timer = self.timer
        timer.seconds["data loading and decoding"] += (
            time.perf_counter() - self.step_end
        )
        before = sum(timer.seconds.values())
        start = time.perf_counter()
        loss = super().fit_batch(batch)
        timer.sync()
        step = time.perf_counter() - start
        timer.seconds["backward"] += step - (sum(timer.seconds.values()) - before)
        self.batches += 1
        self._compare()
        self.step_end = time.perf_counter()
        return loss

    def optimizers_step(self):
        """Clipping, the optimiser step and zeroing the gradients, timed."""
        with self.timer("optimiser step"):
            super().optimizers_step()

    def _compare(self) -> None:
        """Forward and backward of the bare LSTM and of the model alone."""
        feats, lens = self.features
        counts = torch.round(lens * feats.shape[1])
        self.frames[0] += int(counts.sum())
        self.frames[1] += feats.shape[0] * feats.shape[1]
        timer = self.timer
        start = time.perf_counter()
        self.bare(feats)[0].sum().backward()
        timer.sync()
        self.comparison["bare_lstm_s"] += time.perf_counter() - start
        start = time.perf_counter()
        out = self.alone.classifier(self.alone.embed_features(feats, lens))
        self.hparams.compute_cost(out, self.labels).backward()
        timer.sync()
        self.comparison["model_s"] += time.perf_counter() - start
        for module in (self.bare, self.alone):
            module.zero_grad(set_to_none=True)

    def on_stage_end(self, stage, stage_loss, epoch=None):
        """Saves the end-of-epoch checkpoint, as the recipe does."""
        with self.timer("checkpointing"):
            self.checkpointer.save_and_keep_only(meta={"loss": stage_loss})

    def _save_intra_epoch_ckpt(self):
        with self.timer("checkpointing"):
            super()._save_intra_epoch_ckpt()

    def make_dataloader(self, dataset, stage, ckpt_prefix="dataloader-", **kwargs):
        """The recipe's loader, cut to ``limit_batches`` batches."""
        loader = super().make_dataloader(dataset, stage, ckpt_prefix, **kwargs)
        return _FirstBatches(loader, self.limit_batches)


def _train_set(hparams: dict) -> sb.dataio.dataset.DynamicItemDataset:
    """The training set with the recipe's audio and label pipelines."""
    label_encoder = sb.dataio.encoder.CategoricalEncoder()
    label_encoder.update_from_iterable(hparams["emotions"])
    label_encoder.expect_len(len(hparams["emotions"]))

    @sb.utils.data_pipeline.takes("wav")
    @sb.utils.data_pipeline.provides("sig")
    def audio_pipeline(wav):
        return read_audio(wav, hparams["sample_rate"])

    @sb.utils.data_pipeline.takes("emo")
    @sb.utils.data_pipeline.provides("emo_encoded")
    def label_pipeline(emo):
        return label_encoder.encode_label_torch(emo)

    return sb.dataio.dataset.DynamicItemDataset.from_csv(
        csv_path=hparams["train_annotation"],
        replacements={
            "data_root": hparams["data_folder"],
            "audio_cache": hparams["audio_cache_folder"],
        },
        dynamic_items=[audio_pipeline, label_pipeline],
        output_keys=["id", "sig", "emo_encoded"],
    )


def prepare_data(hparams: dict) -> None:
    """The recipe's data preparation (the embedded corpus is made once)."""
    prepare_emotion_data(
        hparams["data_folder"], hparams["manifest_folder"], hparams["prepare"]
    )


def profile_epoch(
    hparams_file: str | os.PathLike,
    overrides: str = "",
    batches: int | None = None,
    threads: int = 1,
    device: str = "cpu",
    epochs: int = 2,
) -> dict:
    """Trains ``epochs`` epochs (or their first ``batches``); times the last's phases.

    The last epoch is the one most of a training resembles: with
    ``preprocess_cache_mb``, the first fills the pre-processing cache.

    Arguments
    ---------
    hparams_file : str or os.PathLike
        The recipe YAML.
    overrides : str
        YAML overrides, one ``key: value`` per line.
    batches : int, optional
        Profile the first batches only (default: the whole epoch).
    threads : int
        ``torch.set_num_threads`` for the run.
    device : str
        ``cpu`` or ``cuda:N``.
    epochs : int
        Epochs trained; the last is timed.

    Returns
    -------
    dict
        Seconds and shares per phase, throughputs (audio seconds per second)
        of the training, the bare LSTM and the model alone, their ratios.
    """
    torch.set_num_threads(threads)
    hparams = load_hparams(hparams_file, overrides)
    with tempfile.TemporaryDirectory(prefix="profile-ckpt-") as folder:
        checkpointer = AtomicCheckpointer(
            folder, recoverables=dict(hparams["checkpointer"].recoverables)
        )
        brain = ProfiledBrain(
            modules=hparams["modules"],
            opt_class=hparams["opt_class"],
            hparams=hparams,
            run_opts={"device": device, "noprogressbar": True},
            checkpointer=checkpointer,
        )
        brain.limit_batches = batches
        brain.fit(
            EpochCounter(epochs),
            train_set=_train_set(hparams),
            train_loader_kwargs=dict(hparams["dataloader_options"]),
        )
    seconds = brain.timer.seconds
    total = sum(seconds.values())
    audio = brain.audio_s
    bare, model = brain.comparison["bare_lstm_s"], brain.comparison["model_s"]
    real, padded = brain.frames
    return {
        "threads": threads,
        "num_workers": int(hparams["dataloader_options"].get("num_workers", 0)),
        "augment_in_loader": brain.options.augment_in_loader,
        "preprocess_in_loader": brain.options.preprocess_in_loader,
        "epochs": epochs,
        "preprocess_cache_hits": brain.cache_hit_share(),
        "batches": brain.batches,
        "utterances": brain.utterances,
        "audio_s": round(audio, 2),
        "padding_share": round(1 - real / padded, 4) if padded else 0.0,
        "phases": {
            phase: {"seconds": round(s, 4), "share": round(s / total, 4)}
            for phase, s in seconds.items()
        },
        "total_s": round(total, 3),
        "bare_lstm_s": round(bare, 3),
        "model_s": round(model, 3),
        "audio_s_per_s": {
            "training": round(audio / total, 1),
            "bare_lstm": round(audio / bare, 1),
            "model": round(audio / model, 1),
        },
        "training_vs_bare_lstm": round(bare / total, 3),
        "training_vs_model": round(model / total, 3),
    }


def _loader_note(run: dict) -> str:
    """Where the loading and augmentation ran, when not in the training process."""
    workers = run.get("num_workers", 0)
    note = f", {workers} loader workers" if workers else ""
    epochs = run.get("epochs", 1)
    if epochs > 1:
        note += f", epoch {epochs} of {epochs}"
    hits = run.get("preprocess_cache_hits")
    if hits is not None:
        note += f", {100 * hits:.0f} % of its utterances pre-processed from the cache"
    if run.get("augment_in_loader"):
        note += ", pre-processing and augmentation in the loader (data loading)"
    elif run.get("preprocess_in_loader"):
        note += ", pre-processing in the loader (data loading)"
    return note


def format_table(summary: dict) -> str:
    """The profile as a markdown table, one column pair per thread count.

    Arguments
    ---------
    summary : dict
        What :func:`main` writes with ``--json``.

    Returns
    -------
    str

    Example
    -------
    >>> run = {"threads": 1, "total_s": 2.0, "phases": {"backward": {
    ...     "seconds": 2.0, "share": 1.0}}, "audio_s_per_s": {"training": 5.0,
    ...     "bare_lstm": 10.0, "model": 8.0}, "training_vs_bare_lstm": 0.5,
    ...     "training_vs_model": 0.625, "batches": 1, "utterances": 2,
    ...     "audio_s": 10.0, "padding_share": 0.25}
    >>> print(format_table({"cpu": "X", "cores": 2, "device": "cpu",
    ...     "hparams": "h.yaml", "runs": [run]}))  # doctest: +ELLIPSIS
    CPU: X (2 cores), device cpu, h.yaml
    1 batches, 2 utterances, 10.0 s of audio, 25.0 % padding (encoder input)
    <BLANKLINE>
    | phase | 1 thread s | % |
    |---|---:|---:|
    | backward | 2.000 | 100.0 |
    | **total** | **2.000** | 100.0 |
    | training (audio-s/s) | 5.0 | |
    ...
    | training / bare LSTM | 50.0 % | |
    | training / model alone | 62.5 % | |
    """
    runs = summary["runs"]
    first = runs[0]
    environment = "".join(
        f", {k}={v}" for k, v in summary.get("environment", {}).items()
    )
    load = summary.get("load_average")
    load = f", load average {load[0]}" if load else ""
    lines = [
        f"CPU: {summary['cpu']} ({summary['cores']} cores{load}), "
        f"device {summary['device']}{environment}, {summary['hparams']}",
        f"{first['batches']} batches, {first['utterances']} utterances, "
        f"{first['audio_s']} s of audio, {100 * first['padding_share']:.1f} % "
        "padding (encoder input)" + _loader_note(first),
        "",
    ]
    head = "| phase |" + "".join(
        f" {r['threads']} thread{'s' if r['threads'] > 1 else ''} s | % |" for r in runs
    )
    lines += [head, "|---|" + "---:|---:|" * len(runs)]
    for phase in first["phases"]:
        cells = "".join(
            f" {r['phases'][phase]['seconds']:.3f} |"
            f" {100 * r['phases'][phase]['share']:.1f} |"
            for r in runs
        )
        lines.append(f"| {phase} |{cells}")
    lines.append(
        "| **total** |" + "".join(f" **{r['total_s']:.3f}** | 100.0 |" for r in runs)
    )
    speeds = (
        ("training (audio-s/s)", "training"),
        ("bare LSTM fwd+bwd (audio-s/s)", "bare_lstm"),
        ("model alone fwd+bwd (audio-s/s)", "model"),
    )
    for name, key in speeds:
        cells = "".join(f" {r['audio_s_per_s'][key]} | |" for r in runs)
        lines.append(f"| {name} |{cells}")
    for name, key in (
        ("training / bare LSTM", "training_vs_bare_lstm"),
        ("training / model alone", "training_vs_model"),
    ):
        cells = "".join(f" {100 * r[key]:.1f} % | |" for r in runs)
        lines.append(f"| {name} |{cells}")
    return "\n".join(lines)


def _overrides(pairs: Sequence[str]) -> str:
    """``--key value`` pairs as YAML override lines."""
    if len(pairs) % 2 or not all(p.startswith("--") for p in pairs[::2]):
        raise HparamsError(
            f"overrides must be --key value pairs, got {' '.join(pairs)}"
        )
    keys, values = pairs[::2], pairs[1::2]
    return "\n".join(f"{k[2:]}: {v}" for k, v in zip(keys, values, strict=True))


def _parse(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile",
        description=(
            "Splits a training epoch of a recipe configuration into its phases "
            "and compares its speed with the bare model's. Any other --key value "
            "overrides the YAML, as for the recipe."
        ),
    )
    parser.add_argument("--hparams", default=str(HPARAMS), help="recipe YAML")
    parser.add_argument(
        "--batches", type=int, help="profile the first N batches (default: all)"
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=2,
        help="epochs trained; the last is timed (default 2: after the first "
        "fills the pre-processing cache)",
    )
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--device", default="cpu", help="cpu or cuda:N")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--_worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_known_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the profile (see the module docstring); the exit status."""
    args, rest = _parse(argv)
    try:
        overrides = _overrides(rest)
        if "output_folder:" not in overrides:
            # never the recipe's output folder (manifests only are written)
            overrides += "\noutput_folder: results/profile"
        if args._worker:
            result = profile_epoch(
                args.hparams,
                overrides,
                args.batches,
                args.threads[0],
                args.device,
                args.epochs,
            )
            write_json(args.json, result)
            return 0
        hparams = load_hparams(args.hparams, overrides)
    except HparamsError as err:
        sys.exit(f"error: {err}")
    missing = [key for key in _EMOTION_KEYS if key not in hparams]
    if missing:
        sys.exit(
            f"error: {args.hparams} is not a configuration of the emotion recipe "
            f"(no {', '.join(missing)}): bench.profile profiles that recipe"
        )
    load_average = [round(x, 2) for x in os.getloadavg()]
    if not hparams["skip_prep"]:
        prepare_data(hparams)
    runs = []
    with tempfile.TemporaryDirectory(prefix="profile-") as folder:
        for threads in args.threads:
            out = Path(folder) / f"{threads}.json"
            command = [
                sys.executable,
                "-m",
                "bench.profile",
                "--_worker",
                "--hparams",
                args.hparams,
                "--threads",
                str(threads),
                "--device",
                args.device,
                "--epochs",
                str(args.epochs),
                "--json",
                str(out),
                *rest,
                "--skip_prep",
                "True",
            ]
            if args.batches:
                command += ["--batches", str(args.batches)]
            env = {
                **os.environ,
                "OMP_NUM_THREADS": str(threads),
                "MKL_NUM_THREADS": str(threads),
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
                ),
            }
            print(f"[profile] {threads} thread(s)...", file=sys.stderr, flush=True)
            proc = subprocess.run(command, env=env)
            if proc.returncode != 0:
                return proc.returncode
            runs.append(json.loads(out.read_text()))
    summary = {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "load_average": load_average,
        "environment": {k: os.environ[k] for k in _THREAD_ENV if k in os.environ},
        "torch": torch.__version__,
        "device": args.device,
        "hparams": str(args.hparams),
        "overrides": _overrides(rest),
        "runs": runs,
    }
    print(format_table(summary))
    if args.json:
        write_json(args.json, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
