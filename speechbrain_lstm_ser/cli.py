r"""The ``sb-lstm-ser`` command line: every user-facing command of the package.

::

    sb-lstm-ser predict  --model MODEL audio.wav more/ ... [--labels happy,sad]
    sb-lstm-ser predict  --model MODEL corpus/ --output preds.csv [--shard 0/4]
    sb-lstm-ser merge-shards preds.csv
    sb-lstm-ser serve    --model MODEL [--streaming-model SMODEL] [--port 8000]
    sb-lstm-ser timeline --model MODEL --window 3 --hop 1.5 long.wav
    sb-lstm-ser transcribe --model ASR_MODEL audio.wav more/ ...
    sb-lstm-ser analyze  --asr-model ASR_MODEL --emotion-model MODEL meeting.wav
    arecord -q -f S16_LE -r 16000 -c 1 -t raw | sb-lstm-ser stream --model MODEL
    sb-lstm-ser keygen   keys/me.pem                 # writes me.pem and me.pem.pub
    sb-lstm-ser sign     MODEL_FOLDER --key keys/me.pem
    sb-lstm-ser verify   MODEL_FOLDER --trusted-key keys/me.pem.pub
    sb-lstm-ser publish  MODEL_FOLDER --repo-id user/name [--dry-run]
    sb-lstm-ser export-onnx RUN/hyperparams.yaml --onnx model.onnx [--int8]
    sb-lstm-ser prune    RUN/hyperparams.yaml hparams/lstm.yaml --lstm_hidden 48 ...
    sb-lstm-ser report   RUN/test_report.json [--markdown]
    sb-lstm-ser robustness --model MODEL --manifest test.csv [--json out.json]
    sb-lstm-ser robustness --model MODEL --manifest test.csv --conditions all \
        --domain data/emotion_flite

``MODEL`` is an exported model folder or a Hugging Face Hub repo id. Inputs
are files or folders (searched recursively for audio). Output is JSON lines
(default) or a table. ``--threads N`` sets PyTorch's threads (default
``auto``: :func:`speechbrain_lstm_ser.threads.configure_threads`, applied
before PyTorch loads so that waiting threads sleep). An unreadable file gets
one line on stderr and the others are still processed; the exit status is
then 1. A file without speech is an answer, not an error: ``"label": null,
"speech": false`` and the reason (``--no-speech-gate`` classifies it
anyway). A file classified with a warning (narrowband audio, a truncated
WAV) gets a ``warning:`` line on stderr and a ``"warnings"`` field. File
names are printed with backslash escapes (``\\``, ``\n``, ``\t``, and
``\xNN`` for bytes that are not UTF-8: :func:`display_name`), which
``codecs.escape_decode`` maps back to the file's bytes.

``export-onnx``, ``prune`` and ``report`` hand their arguments to the module
that does the work (:mod:`speechbrain_lstm_ser.export.onnx`,
:mod:`speechbrain_lstm_ser.compression.pruning`,
:mod:`speechbrain_lstm_ser.evaluation.reports`); ``sb-lstm-ser VERB -h``
prints that module's options. Any error ends the command with one
``error:`` line on stderr and a non-zero exit status.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["AUDIO_EXTENSIONS", "build_parser", "expand_inputs", "main"]

#: File extensions searched for in folders.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".opus", ".aiff", ".aif", ".au")


def expand_inputs(inputs: Iterable[str]) -> tuple[list[Path], bool]:
    """Files as given, folders expanded recursively to their audio files.

    Arguments
    ---------
    inputs : iterable of str
        Paths from the command line.

    Returns
    -------
    files : list of Path
        In the order given, each folder's files sorted.
    had_folder : bool
        Whether any input was a folder (shows a progress bar).
    """
    files: list[Path] = []
    had_folder = False
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            had_folder = True
            files += sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in AUDIO_EXTENSIONS and not p.is_dir()
            )
        else:
            files.append(path)  # a missing file is reported when it is read
    return files, had_folder


def display_name(path: Path | str) -> str:
    r"""A file name on one line, printable, that maps back to the file's bytes.

    Backslashes are doubled; newlines, tabs, other control characters and
    bytes that are not UTF-8 are backslash escapes (``\n``, ``\t``,
    ``\xNN``). ``codecs.escape_decode(name.encode())[0]`` gives the bytes
    of the name back.

    Example
    -------
    >>> display_name(Path(os.fsdecode(b"caf\xe9.wav")))
    'caf\\xe9.wav'
    >>> print(display_name("a\nb.wav"), display_name("caf\u00e9.wav"))
    a\nb.wav café.wav
    >>> import codecs
    >>> codecs.escape_decode(display_name("a\\x41\n.wav").encode())[0]
    b'a\\x41\n.wav'
    """
    text = os.fsencode(path).decode("utf-8", "surrogateescape")
    out = []
    for char in text:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not char.isprintable():  # e.g. U+2028, a line separator
            out.append("".join(f"\\x{b:02x}" for b in char.encode("utf-8")))
        else:
            out.append(char)
    return "".join(out)


_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _predict_command(args, model, labels, speakers: dict[Path, str]) -> int:
    """Runs ``predict``: length-sorted batches, streamed inputs, resumable output.

    See :mod:`speechbrain_lstm_ser.serving.batch`; without ``--output``, the
    results go to standard output in input order (errors on standard error).
    """
    from speechbrain_lstm_ser.serving.batch import BatchPredictor
    from speechbrain_lstm_ser.serving.inputs import LIST_SUFFIXES, MANIFEST_SUFFIXES
    from speechbrain_lstm_ser.serving.shards import Shard, shard_from_environment

    try:
        shard = Shard.parse(args.shard) if args.shard else shard_from_environment()
        predictor = BatchPredictor(
            model,
            batch_size=args.batch_size,
            sort_buffer=args.sort_buffer,
            workers=args.workers,
            labels=labels,
            speakers=speakers,
            name=display_name,
            gate=False if args.no_speech_gate else None,
        )
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    def emit(row: dict) -> None:
        if row.get("error"):
            print(f"error: {_one_line(row['error'])}", file=sys.stderr)
            return
        for note in row.get("warnings", ()):
            print(f"warning: {_one_line(note)}", file=sys.stderr)
        if args.format == "jsonl":
            _write(json.dumps(row))
        else:
            _write("\n".join(_table_rows(row)))

    listed = any(
        Path(item).is_dir()
        or Path(item).suffix.lower() in LIST_SUFFIXES + MANIFEST_SUFFIXES
        for item in args.inputs
    )
    progress = (listed or bool(args.output)) and not args.quiet and sys.stderr.isatty()
    extra = [path for path in speakers if str(path) not in args.inputs]
    try:
        summary = predictor.run(
            args.inputs,
            output=args.output,
            shard=shard,
            resume=not args.restart,
            progress=progress,
            extensions=AUDIO_EXTENSIONS,
            data_root=args.data_root,
            emit=emit,
            extra_paths=extra,
        )
    except OSError as err:
        if args.output is None:  # standard output cannot be written
            return _output_failed(err)
        print("error: " + " ".join(str(err).split()), file=sys.stderr)
        return 2
    except ValueError as err:
        print("error: " + " ".join(str(err).split()), file=sys.stderr)
        return 2
    total = summary.done + summary.failed
    if total + summary.skipped == 0:
        print("error: no audio files found in the given inputs", file=sys.stderr)
        return 2
    if summary.output is not None:
        rate = total / summary.seconds if summary.seconds else 0.0
        print(
            f"{summary.output}: {total} file(s) classified in {summary.seconds:.1f} s "
            f"({rate:.1f} files/s), {summary.skipped} already done, "
            f"{summary.failed + summary.previous_failed} error row(s)",
            file=sys.stderr,
        )
    failed = summary.failed + summary.previous_failed
    if failed:
        print(f"{failed} of {total + summary.skipped} file(s) failed", file=sys.stderr)
    return 1 if failed else 0


def _timeline(model, path: Path, args) -> dict:
    segments = model.timeline(
        path,
        window=args.window,
        hop=args.hop,
        labels=_labels(args),
        adapt=args.adapt,
        min_speech_ratio=0.0 if args.no_speech_gate else 0.3,
    )
    return {
        "file": display_name(path),
        "speech": bool(segments),
        "segments": [
            {
                "start": s.start,
                "end": s.end,
                "label": s.label,
                "score": round(s.score, 6),
            }
            for s in segments
        ],
    }


def _enrol(model, speakers: dict[Path, str]) -> int:
    """Enrols every speaker of a ``--speakers`` list; 0, or 2 on an error."""
    from speechbrain_lstm_ser.dataio.audio import AudioError

    by_speaker: dict[str, list[Path]] = {}
    for path, speaker in speakers.items():
        by_speaker.setdefault(speaker, []).append(path)
    try:
        for speaker, paths in by_speaker.items():
            model.enrol(speaker, paths)
    except (AudioError, ValueError) as err:
        print(f"error: --speakers: {err}", file=sys.stderr)
        return 2
    return 0


def _labels(args) -> list[str] | None:
    """``--labels a,b`` as a list (None when not given; ``""`` gives [])."""
    if getattr(args, "labels", None) is None:
        return None
    return [x.strip() for x in args.labels.split(",") if x.strip()]


def _analyze(models: dict, path: Path) -> dict:
    from speechbrain_lstm_ser.inference.analyze import analyze_file

    segments = analyze_file(path, models["asr_model"], models["emotion_model"])
    return {
        "file": display_name(path),
        "segments": [
            {
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "emotion": s.emotion,
                "score": None if s.score is None else round(s.score, 6),
            }
            for s in segments
        ],
    }


def _table_rows(result: dict) -> list[str]:
    r"""Tab-separated rows, one line each (names and texts escaped).

    Example
    -------
    >>> _table_rows({"file": "a.wav", "label": None, "score": None})
    ['a.wav\t(no speech)\t-']
    >>> _table_rows({"file": "b.wav", "text": "two\nlines"})
    ['b.wav\ttwo\\nlines']
    """
    name = result["file"]  # already display_name()
    if "text" in result:
        return [f"{name}\t{display_name(result['text'])}"]
    if "segments" in result:
        rows = []
        for s in result["segments"]:
            span = f"{s['start']:.2f}-{s['end']:.2f}"
            what = s.get("label") or s.get("emotion") or "-"
            score = "-" if s.get("score") is None else f"{s['score']:.3f}"
            text = f"\t{display_name(s['text'])}" if "text" in s else ""
            rows.append(f"{name}\t{span}\t{what}\t{score}{text}")
        return rows or [f"{name}\t-\t(no speech)\t-"]
    if result["label"] is None:
        return [f"{name}\t(no speech)\t-"]
    return [f"{name}\t{result['label']}\t{result['score']:.3f}"]


def _write(text: str) -> None:
    """Prints a line of the command's output (may raise OSError)."""
    print(text, flush=True)


def _output_failed(err: OSError) -> int:
    """One line for an output that cannot be written; the exit status."""
    # What is still buffered would fail again at exit: send it nowhere.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    if isinstance(err, BrokenPipeError):  # the reader left (| head): quietly
        return 1
    print(f"error: cannot write the output: {err.strerror or err}", file=sys.stderr)
    return 1


def _run(
    files: list[Path],
    work: Callable[[Path], dict],
    fmt: str,
    progress: bool,
) -> int:
    """Applies ``work`` to each file; one-line errors; returns the exit status."""
    from tqdm import tqdm

    from speechbrain_lstm_ser.dataio.audio import AudioError
    from speechbrain_lstm_ser.inference.checks import AudioWarning

    failed = 0
    for path in tqdm(files, disable=not progress, file=sys.stderr, unit="file"):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", AudioWarning)
                result = work(path)
        except AudioError as err:
            failed += 1
            tqdm.write(f"error: {_one_line(err)}", file=sys.stderr)  # bar intact
            continue
        notes = [str(w.message) for w in caught if w.category is AudioWarning]
        for note in notes:
            tqdm.write(f"warning: {_one_line(note)}", file=sys.stderr)
        for other in caught:  # any other warning, shown as Python would
            if other.category is not AudioWarning:
                warnings.showwarning(
                    other.message, other.category, other.filename, other.lineno
                )
        if notes:
            result["warnings"] = notes
        try:
            if fmt == "jsonl":
                _write(json.dumps(result))
            else:
                _write("\n".join(_table_rows(result)))
        except OSError as err:
            return _output_failed(err)
    if failed:
        print(f"{failed} of {len(files)} file(s) failed", file=sys.stderr)
    return 1 if failed else 0


def _one_line(message) -> str:
    """A message on one line (a file name with a newline stays one line)."""
    return " ".join(str(message).splitlines())


def _positive_seconds(text: str) -> float:
    """``--window``, ``--hop``, ``--chunk``: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of seconds, got {text!r}"
        )
    return value


def _seconds_or_zero(text: str) -> float:
    """``--smoothing``: a number of seconds, 0 or more."""
    if text.strip() in ("0", "0.0"):
        return 0.0
    return _positive_seconds(text)


def _sample_rate(text: str) -> int:
    """``--rate``: a positive integer (Hz)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a sample rate in Hz (an integer), got {text!r}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive rate in Hz, got {text}")
    return value


def _threads_arg(text: str) -> int | str:
    """``--threads``: a positive integer or ``auto`` (argparse's type)."""
    from speechbrain_lstm_ser.threads import parse_threads

    try:
        return parse_threads(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


#: Verbs whose arguments the module doing the work parses (``VERB -h``).
DELEGATED = ("export-onnx", "prune", "report")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``sb-lstm-ser``, one sub-command per verb.

    Returns
    -------
    argparse.ArgumentParser

    Example
    -------
    >>> sub = next(a for a in build_parser()._actions if a.dest == "command")
    >>> sorted(sub.choices)  # doctest: +NORMALIZE_WHITESPACE
    ['analyze', 'export-onnx', 'keygen', 'merge-shards', 'predict', 'prune',
     'publish', 'report', 'robustness', 'serve', 'sign', 'stream', 'timeline',
     'transcribe', 'verify']
    """
    parser = argparse.ArgumentParser(
        prog="sb-lstm-ser",
        description="Run, export, compress, report on and publish "
        "speechbrain-lstm-ser models.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p, models=("--model",), inputs="+"):
        p.add_argument("inputs", nargs=inputs, help="audio files and/or folders")
        for flag in models:
            p.add_argument(
                flag, required=True, help="exported model folder or Hub repo id"
            )
        p.add_argument(
            "--savedir", help="where Hub files are linked (default: HF cache)"
        )
        p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
        p.add_argument(
            "--threads",
            type=_threads_arg,
            default="auto",
            help="PyTorch threads: N, or auto (default: OMP_NUM_THREADS if set, "
            "else the cores not busy with other processes)",
        )
        p.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        p.add_argument(
            "--verify",
            choices=("auto", "required", "off"),
            default="auto",
            help="signature policy: auto = with a pinned key, require its "
            "signature; without one, check if signed and warn if not "
            "(docs/security.md)",
        )
        p.add_argument(
            "--trusted-key",
            action="append",
            default=[],
            help="public key (.pub) whose signature you trust; repeatable; with "
            "any key pinned (here or in $SB_LSTM_SER_TRUSTED_KEYS), an unsigned "
            "or foreign model is refused",
        )

    predict = sub.add_parser("predict", help="class (emotion, command) of each file")
    common(predict, inputs="*")
    predict.add_argument(
        "--speakers",
        help="CSV of path,speaker (relative paths: to the CSV): each speaker is "
        "enrolled with all of their files, and each file is classified against "
        "its speaker (speaker-normalised models); the files are the inputs",
    )
    _batch_options(predict)
    common(sub.add_parser("transcribe", help="transcript of each file"))
    common(
        sub.add_parser("analyze", help="speech segments: transcript and emotion"),
        models=("--asr-model", "--emotion-model"),
    )
    timeline = sub.add_parser("timeline", help="emotion over time in long recordings")
    common(timeline)
    timeline.add_argument(
        "--window", type=_positive_seconds, default=3.0, help="seconds"
    )
    timeline.add_argument("--hop", type=_positive_seconds, default=1.5, help="seconds")
    timeline.add_argument(
        "--adapt",
        action="store_true",
        help="each window measured against the recording so far (running "
        "statistics; for speaker-normalised models)",
    )
    for parser_ in (predict, timeline):
        parser_.add_argument(
            "--labels",
            help="comma-separated classes, e.g. happy,sad: the output is restricted "
            "to them (probabilities renormalised over them)",
        )
        parser_.add_argument(
            "--no-speech-gate",
            action="store_true",
            help="classify audio in which the speech detector finds no speech "
            "(default: such files get label null, speech false; timeline: such "
            "windows are skipped)",
        )

    _stream_parser(sub)
    _serve_parser(sub)

    keygen = sub.add_parser("keygen", help="create an Ed25519 signing key pair")
    keygen.add_argument(
        "key", help="private key file to write (KEY.pub gets the public key)"
    )
    keygen.add_argument(
        "--overwrite", action="store_true", help="replace existing keys"
    )
    sign = sub.add_parser("sign", help="sign every file of a model folder")
    sign.add_argument("folder", help="an exported model folder")
    sign.add_argument("--key", required=True, help="private key from `keygen`")
    verify = sub.add_parser("verify", help="verify a model folder's signature")
    verify.add_argument("folder", help="a model folder")
    verify.add_argument(
        "--trusted-key",
        action="append",
        default=[],
        help="public key (.pub) of the publisher; repeatable (with "
        "$SB_LSTM_SER_TRUSTED_KEYS's); without a pinned signer, verify fails",
    )
    verify.add_argument(
        "--allow-unpinned",
        action="store_true",
        help="accept a valid signature by a key you have not pinned (integrity "
        "only: anyone can re-sign a changed folder); says so on stderr",
    )

    publish = sub.add_parser(
        "publish",
        help="check a model folder and upload it to the Hugging Face Hub",
        description="Check an exported model folder (files, model card, a real "
        "load and run of its example clip) and upload it to a Hub model repo. "
        "The token comes from HF_TOKEN or `huggingface-cli login`.",
    )
    publish.add_argument(
        "folder", help="an exported model folder (<output_folder>/model)"
    )
    publish.add_argument("--repo-id", required=True, help="user/name on the Hub")
    publish.add_argument("--private", action="store_true", help="create a private repo")
    publish.add_argument(
        "--dry-run", action="store_true", help="check and list, upload nothing"
    )
    publish.add_argument(
        "--sign-key", help="private key (sb-lstm-ser keygen) to sign the upload with"
    )

    robustness = sub.add_parser(
        "robustness",
        help="accuracy at -20/-10/0/+6 dB and with a DC offset, labels unchanged",
        description="Evaluates a classifier on a test manifest, each waveform "
        "perturbed (gain, DC offset; --all: clipping, a silent 2nd channel): UA, "
        "WA and the share of labels unchanged from 0 dB per condition "
        "(speechbrain_lstm_ser.evaluation.robustness).",
    )
    robustness.add_argument("--model", required=True, help="exported model folder")
    robustness.add_argument("--manifest", required=True, help="test CSV manifest")
    robustness.add_argument("--data_folder", help="corpus folder ($data_root)")
    robustness.add_argument("--label_column", default="emo", help="true labels")
    robustness.add_argument(
        "--all", action="store_true", help="also clipping and a silent 2nd channel"
    )
    robustness.add_argument("--batch_size", type=int, default=1)
    robustness.add_argument(
        "--by-speaker",
        action="store_true",
        help="measure each utterance against its speaker (spk_id; every "
        "speaker's perturbed utterances make its reference: transductive)",
    )
    robustness.add_argument(
        "--conditions",
        help="condition groups, comma-separated, among gain, noise (white, pink, "
        "babble of other test speakers at 20/10/5 dB SNR), reverb (rooms of RT60 "
        "0.3/0.6/0.9 s), telephone (8 kHz, μ-law / GSM), codec (Opus, MP3), or "
        "'all': the cross-domain table, single utterance and per speaker "
        "(speechbrain_lstm_ser.evaluation.transfer)",
    )
    robustness.add_argument(
        "--domain",
        action="append",
        default=[],
        help="another domain to evaluate on as read: a folder with corpus.csv "
        "(python -m speechbrain_lstm_ser.dataio.synthetic.domains) or a manifest; "
        "repeatable; implies the cross-domain table",
    )
    robustness.add_argument(
        "--seed", type=int, default=0, help="seed of the noises and rooms"
    )
    robustness.add_argument("--device", default="cpu", help="cpu, cuda, ...")
    robustness.add_argument("--json", help="also write the results here")
    robustness.add_argument(
        "--trusted-key",
        action="append",
        default=[],
        help="public key (.pub) whose signature you trust; repeatable; with any "
        "key pinned, an unsigned or foreign model is refused",
    )

    # The module doing the work parses the rest (its YAML overrides included).
    export = sub.add_parser(
        "export-onnx",
        help="export a trained run to ONNX (waveform to probabilities)",
        add_help=False,
        allow_abbrev=False,
    )
    export.add_argument(
        "--int8",
        action="store_true",
        help="also write an int8 dynamically quantised copy (<name>.int8.onnx)",
    )
    sub.add_parser(
        "prune",
        help="prune a trained run into a smaller model's first checkpoint",
        add_help=False,
    )
    sub.add_parser(
        "report",
        help="summarise a test_report.json (any task), text or Markdown",
        add_help=False,
    )
    return parser


def _batch_options(predict) -> None:
    """``predict``'s options for large runs (:mod:`speechbrain_lstm_ser.serving`)."""
    predict.add_argument(
        "--output",
        help="write the results to this file as they come (.jsonl, .csv, or "
        ".parquet with pyarrow); a re-run with the same command skips the files "
        "already there",
    )
    predict.add_argument(
        "--restart",
        action="store_true",
        help="with --output: start again from nothing instead of resuming",
    )
    predict.add_argument(
        "--batch-size",
        type=int,
        default=16,
        help="files per batch (default: 16; the results are those of one file "
        "at a time, see docs/serving.md)",
    )
    predict.add_argument(
        "--sort-buffer",
        type=int,
        default=256,
        help="files read ahead and sorted by length before batching",
    )
    predict.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes decoding and resampling audio (0: the main process)",
    )
    predict.add_argument(
        "--shard",
        help="k/N: only every N-th file from the k-th (0-based); default: RANK / "
        "WORLD_SIZE (torchrun) or SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT; "
        "each shard writes OUTPUT.shard-k-of-N, joined by `sb-lstm-ser merge-shards`",
    )
    predict.add_argument(
        "--data-root", help="what $data_root stands for in SpeechBrain CSV manifests"
    )


def _serve_parser(sub) -> None:
    """The ``serve`` and ``merge-shards`` verbs."""
    merge = sub.add_parser(
        "merge-shards",
        help="join the shard files of a sharded `predict --output FILE` into FILE",
    )
    merge.add_argument("output", help="the --output given to every shard")
    merge.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="merge even when shards are missing or unfinished",
    )
    serve = sub.add_parser(
        "serve",
        help="HTTP service and web page: upload, timeline, live microphone",
        description="Serves a model over HTTP (needs the [serve] extra): "
        "POST /classify, POST /timeline, WebSocket /stream (16-bit PCM), a web "
        "page at /, API docs at /docs, /health. Binds 127.0.0.1 unless --host "
        "says otherwise. See docs/serving.md.",
    )
    serve.add_argument(
        "--model", required=True, help="exported model folder or Hub repo id"
    )
    serve.add_argument(
        "--streaming-model",
        help="a streaming model for /stream (default: --model if it can stream)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--max-upload-mb", type=float, default=20.0, help="largest upload (MB)"
    )
    serve.add_argument(
        "--max-duration",
        type=float,
        default=600.0,
        help="longest upload (seconds); /classify takes at most the model's "
        "max_duration of it",
    )
    serve.add_argument(
        "--max-streams", type=int, default=4, help="concurrent WebSocket streams"
    )
    serve.add_argument(
        "--max-stream-seconds",
        type=float,
        default=3600.0,
        help="longest live stream (seconds of audio)",
    )
    serve.add_argument("--savedir", help="where Hub files are linked")
    serve.add_argument("--device", default="cpu", help="cpu, cuda, ...")
    serve.add_argument(
        "--threads",
        type=_threads_arg,
        default="auto",
        help="PyTorch threads: N, or auto",
    )
    serve.add_argument("--verify", choices=("auto", "required", "off"), default="auto")
    serve.add_argument("--trusted-key", action="append", default=[])


def _merge_command(args) -> int:
    """Runs ``merge-shards``."""
    from speechbrain_lstm_ser.serving.shards import describe, merge_shards

    try:
        stats = merge_shards(args.output, allow_incomplete=args.allow_incomplete)
    except (OSError, ValueError) as err:
        print("error: " + " ".join(str(err).split()), file=sys.stderr)
        return 1
    print(describe(stats, args.output))
    return 1 if stats["errors"] else 0


def _serve_command(args) -> int:
    """Runs ``serve``: loads the models as ``predict`` does, then the service."""
    try:
        from speechbrain_lstm_ser.serving.service import (
            ServiceLimits,
            require_extra,
            run_service,
        )

        require_extra()
    except ImportError as err:
        print(
            "error: serve needs the [serve] extra: "
            f'pip install "speechbrain-lstm-ser[serve]" ({err})',
            file=sys.stderr,
        )
        return 2
    from speechbrain_lstm_ser.inference.load import load_model
    from speechbrain_lstm_ser.inference.streaming import StreamingEmotionRecognizer

    trust = {"verify": args.verify, "trusted_keys": args.trusted_key}
    options = {
        "savedir": args.savedir,
        "run_opts": {"device": args.device},
        "threads": None,
    }
    try:
        model = load_model(args.model, **options, **trust)
        if not hasattr(model, "classify_batch"):
            raise ValueError(f"{type(model).__name__} is not a classifier")
    except Exception as err:  # a model that cannot be loaded ends the run
        print(f"error: cannot load model {args.model}: {err}", file=sys.stderr)
        return 2
    streamer, why = None, "no streaming model (start with --streaming-model)"
    source = args.streaming_model or args.model
    try:
        streamer = StreamingEmotionRecognizer.from_hparams(
            source=source, **options, **trust
        )
    except Exception as err:
        if args.streaming_model:
            print(
                f"error: cannot load streaming model {source}: {err}", file=sys.stderr
            )
            return 2
        why = f"{args.model} cannot stream ({err}); start with --streaming-model"
    limits = ServiceLimits(
        max_upload_bytes=int(args.max_upload_mb * 1e6),
        max_duration=args.max_duration,
        max_streams=args.max_streams,
        max_stream_seconds=args.max_stream_seconds,
    )
    try:
        run_service(
            model,
            streamer,
            limits,
            host=args.host,
            port=args.port,
            no_stream_reason=why,
        )
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _stream_parser(sub) -> None:
    """The ``stream`` verb: live emotion from standard input or a microphone."""
    stream = sub.add_parser(
        "stream",
        help="live emotion, one line per hop, from standard input or a microphone",
        description="Reads raw 16-bit mono PCM from standard input (e.g. "
        "`arecord -q -f S16_LE -r 16000 -c 1 -t raw | sb-lstm-ser stream --model M`) "
        "or the microphone (--input mic, needs the [live] extra) and prints one "
        "line per hop; stops at the end of the input or on Ctrl-C. The model "
        "must be a streaming one (hparams/streaming_lstm.yaml).",
    )
    stream.add_argument(
        "--model", required=True, help="exported model folder or Hub repo id"
    )
    stream.add_argument(
        "--input",
        choices=("auto", "stdin", "mic"),
        default="auto",
        help="auto: standard input when it is piped, else the microphone",
    )
    stream.add_argument(
        "--rate",
        type=_sample_rate,
        help="sample rate of standard input (default: model's)",
    )
    stream.add_argument(
        "--chunk", type=_positive_seconds, default=0.2, help="seconds read at once"
    )
    stream.add_argument(
        "--hop", type=_positive_seconds, default=0.2, help="seconds between lines"
    )
    stream.add_argument(
        "--smoothing",
        type=_seconds_or_zero,
        default=0.0,
        help="time constant (s) of the displayed probabilities' moving average",
    )
    stream.add_argument("--no-vad", action="store_true", help="no speech detection")
    stream.add_argument(
        "--format",
        choices=("auto", "table", "jsonl"),
        default="auto",
        help="auto: table on a terminal, JSON lines when piped",
    )
    stream.add_argument("--savedir", help="where Hub files are linked")
    stream.add_argument("--device", default="cpu", help="cpu, cuda, ...")
    stream.add_argument("--verify", choices=("auto", "required", "off"), default="auto")
    stream.add_argument("--trusted-key", action="append", default=[])


def _stream_command(args) -> int:
    """Runs ``sb-lstm-ser stream``."""
    from speechbrain_lstm_ser.inference.live import run_live
    from speechbrain_lstm_ser.inference.streaming import StreamingEmotionRecognizer

    try:
        model = StreamingEmotionRecognizer.from_hparams(
            source=args.model,
            savedir=args.savedir,
            verify=args.verify,
            trusted_keys=args.trusted_key,
            run_opts={"device": args.device},
        )
    except Exception as err:  # a model that cannot be loaded ends the run
        message = " ".join(str(err).split())  # one line
        print(f"error: cannot load model {args.model}: {message}", file=sys.stderr)
        return 2
    source = args.input
    if source == "auto":
        source = "mic" if sys.stdin.isatty() else "stdin"
    try:
        return run_live(
            model,
            source=source,
            chunk=args.chunk,
            hop=args.hop,
            smoothing=args.smoothing,
            vad=not args.no_vad,
            input_rate=args.rate,
            fmt=args.format,
        )
    except (RuntimeError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _keys_command(args) -> int:
    """Keygen / sign / verify; every failure is one ``error:`` line, status 1.

    ``verify`` succeeds only for a signature by a pinned key (``--trusted-key``
    or ``$SB_LSTM_SER_TRUSTED_KEYS``); ``--allow-unpinned`` accepts another
    signer with a warning (the signature then proves integrity only).
    """
    from speechbrain_lstm_ser.hub.closure import FolderClosureError
    from speechbrain_lstm_ser.hub.load import TRUST_STORE_ENV, pinned_keys
    from speechbrain_lstm_ser.hub.signing import (
        SignatureError,
        generate_keypair,
        sign_folder,
        verify_folder,
    )

    try:
        if args.command == "keygen":
            name = generate_keypair(args.key, overwrite=args.overwrite)
            print(
                f"{name}: private key {args.key} (keep it secret), "
                f"public key {args.key}.pub"
            )
        elif args.command == "sign":
            path = sign_folder(args.folder, args.key)
            print(f"signed: {path}")
        else:
            keys = pinned_keys(args.trusted_key)
            result = verify_folder(args.folder, keys)
            if not result.signed:
                print(f"error: {args.folder} is not signed", file=sys.stderr)
                return 1
            if result.trusted:
                print(
                    f"OK: {len(result.files)} files, signed by {result.signer} "
                    "(pinned key)"
                )
            elif args.allow_unpinned:
                print(
                    f"OK (UNPINNED SIGNER): {len(result.files)} files, signed by "
                    f"{result.signer}, a key you have not pinned"
                )
                print(
                    "warning: --allow-unpinned: this proves only that the files "
                    "match their signature; anyone can re-sign a changed folder",
                    file=sys.stderr,
                )
            else:
                print(
                    f"error: {args.folder}: signature intact, but signed by "
                    f"{result.signer}, which is not pinned; pass --trusted-key "
                    f"PUBLISHER.pub (or set ${TRUST_STORE_ENV}), or "
                    "--allow-unpinned to accept any signer",
                    file=sys.stderr,
                )
                return 1
    except (
        SignatureError,
        FolderClosureError,
        ValueError,
        OSError,
    ) as err:
        print("error: " + " ".join(str(err).split()), file=sys.stderr)
        return 1
    return 0


def _publish_command(args) -> int:
    """Checks a model folder and uploads it (or lists it: ``--dry-run``)."""
    from speechbrain_lstm_ser.publish import PublishError, publish

    try:
        print(
            publish(
                args.folder,
                args.repo_id,
                private=args.private,
                dry_run=args.dry_run,
                sign_key=args.sign_key,
            )
        )
    except (PublishError, ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def _export_onnx(argv: list[str], int8: bool) -> None:
    """The ONNX export's own command, then (``--int8``) the quantised copy.

    The int8 step lives here because ``export.quantization`` imports
    ``export.onnx``: the export module cannot call it back.
    """
    from speechbrain_lstm_ser.export.onnx import main as export_main

    path = export_main(argv)
    if int8:
        from speechbrain_lstm_ser.export.quantization import quantize_onnx_int8

        copy = quantize_onnx_int8(path, path.with_suffix(".int8.onnx"))
        print(f"wrote {copy} ({copy.stat().st_size / 1e6:.2f} MB)")


def _delegated_command(args, rest: list[str]) -> int:
    """Export-onnx / prune / report: the module's ``main`` parses ``rest``."""
    try:
        if args.command == "export-onnx":
            _export_onnx(rest, args.int8)
        elif args.command == "prune":
            from speechbrain_lstm_ser.compression.pruning import main as prune_main

            prune_main(rest)
        else:
            from speechbrain_lstm_ser.evaluation.reports import main as report_main

            report_main(rest)
    except SystemExit as err:
        if not isinstance(err.code, str):  # argparse's usage errors, --help
            raise
        message = err.code.removeprefix("error: ")  # the module's one-line error
    except (OSError, ValueError) as err:
        message = str(err)
    except KeyError as err:
        message = f"{args.command}: missing key {err} (is it the right kind of file?)"
    except Exception as err:  # anything else: still one line, not a traceback
        message = f"{args.command}: {type(err).__name__}: {err}"
    else:
        return 0
    print("error: " + " ".join(message.split()), file=sys.stderr)
    return 1


def _robustness_command(args) -> int:
    """Gain / DC robustness of a model on a test manifest: table, JSON."""
    from speechbrain_lstm_ser.evaluation import robustness as rob
    from speechbrain_lstm_ser.evaluation.reports import write_json
    from speechbrain_lstm_ser.inference.load import load_model

    if args.conditions or args.domain:
        return _transfer_command(args)
    try:
        model = load_model(
            args.model,
            run_opts={"device": args.device},
            trusted_keys=args.trusted_key,
        )
        if not hasattr(model, "classify_batch"):
            raise ValueError(f"{args.model} is not a classifier")
        conditions = rob.ALL_CONDITIONS if args.all else rob.DEFAULT_CONDITIONS
        summary = rob.evaluate_classifier(
            model,
            args.manifest,
            args.data_folder,
            args.label_column,
            conditions,
            args.batch_size,
            by_speaker=args.by_speaker,
        )
    except (OSError, ValueError) as err:
        print("error: " + " ".join(str(err).split()), file=sys.stderr)
        return 1
    print(rob.format_robustness(summary["conditions"]))
    failures = summary["failures"]
    print(
        "criterion (UA within ±2 points of 0 dB, ≥ 90 % of labels unchanged at "
        f"{', '.join(rob.CRITERION_CONDITIONS)}): "
        + ("met" if not failures else "NOT met: " + "; ".join(failures))
    )
    if args.json:
        write_json(args.json, {"model": str(args.model), **summary})
    return 0


def _transfer_command(args) -> int:
    """Corrupted conditions and other domains: one table, both modes."""
    from speechbrain_lstm_ser.evaluation import transfer
    from speechbrain_lstm_ser.evaluation.reports import write_json
    from speechbrain_lstm_ser.inference.load import load_model

    spec = args.conditions or ""
    groups = (
        list(transfer.GROUPS)
        if spec.strip() == "all"
        else [g.strip() for g in spec.split(",") if g.strip()]
    )
    modes = ["speaker"] if args.by_speaker else list(transfer.MODES)
    try:
        unknown = [g for g in groups if g not in transfer.GROUPS]
        if unknown:
            raise ValueError(
                f"--conditions: unknown group(s) {', '.join(unknown)}; choose "
                f"among {', '.join(transfer.GROUPS)} or 'all'"
            )
        model = load_model(args.model, run_opts={"device": args.device})
        if not hasattr(model, "classify_batch"):
            raise ValueError(f"{args.model} is not a classifier")
        if "speaker" in modes and not hasattr(model, "enrol_waveforms"):
            modes.remove("speaker")
        summary = transfer.evaluate_model_transfer(
            model,
            args.manifest,
            args.data_folder,
            args.label_column,
            groups,
            args.domain,
            args.seed,
            modes,
            args.batch_size,
        )
    except (OSError, ValueError, RuntimeError) as err:
        print("error: " + " ".join(str(err).split()), file=sys.stderr)
        return 1
    print(transfer.format_transfer_table(summary))
    if args.json:
        write_json(args.json, {"model": str(args.model), **summary})
    return 0


def _quiet_speechbrain() -> None:
    """Keeps SpeechBrain's INFO chatter out of the command's output.

    Each of its loggers sets its own level; warnings and errors still show.
    """
    import speechbrain.inference.interfaces  # noqa: F401  (creates its loggers)
    import speechbrain.utils.parameter_transfer  # noqa: F401

    for name in list(logging.root.manager.loggerDict):
        if name == "speechbrain" or name.startswith("speechbrain."):
            logging.getLogger(name).setLevel(logging.WARNING)


#: Errors of writing the output (a full disk, a closed pipe): one line.
_OUTPUT_ERRNOS = (errno.ENOSPC, errno.EPIPE, errno.EDQUOT, errno.EFBIG, errno.EIO)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sb-lstm-ser``; returns the exit status.

    An output that cannot be written (``> /dev/full``, a closed pipe) ends
    the command with one ``error:`` line and exit status 1.
    """
    try:
        status = _main(argv)
        sys.stdout.flush()
    except OSError as err:
        if err.errno not in _OUTPUT_ERRNOS:
            raise
        return _output_failed(err)
    return status


def _main(argv: list[str] | None = None) -> int:
    """:func:`main` without the output's errors."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command not in DELEGATED:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if hasattr(args, "threads"):  # the verbs that run models; before torch loads
        from speechbrain_lstm_ser.threads import configure_threads

        configure_threads(args.threads)
    if args.command != "report":  # the only verb that never loads SpeechBrain
        _quiet_speechbrain()
    if args.command in DELEGATED:
        return _delegated_command(args, rest)
    if args.command == "publish":
        return _publish_command(args)
    if args.command in ("keygen", "sign", "verify"):
        return _keys_command(args)
    if args.command == "stream":
        return _stream_command(args)
    if args.command == "robustness":
        return _robustness_command(args)
    if args.command == "merge-shards":
        return _merge_command(args)
    if args.command == "serve":
        return _serve_command(args)
    speakers: dict[Path, str] = {}
    if getattr(args, "speakers", None):
        from speechbrain_lstm_ser.inference.speakers import read_speaker_list

        try:
            speakers = dict(read_speaker_list(args.speakers))
        except ValueError as err:
            print(f"error: --speakers: {err}", file=sys.stderr)
            return 2
    if args.command == "predict":  # streamed by serving.batch, never listed here
        files, had_folder = [*map(Path, args.inputs), *speakers], False
    else:
        files, had_folder = expand_inputs(args.inputs)
        files += [path for path in speakers if path not in files]
    if not files:
        print("error: no audio files found in the given inputs", file=sys.stderr)
        return 2
    from speechbrain_lstm_ser.inference.load import load_model

    needed = {
        "predict": {"model": "classify_file"},
        "timeline": {"model": "timeline"},
        "transcribe": {"model": "transcribe_file"},
        "analyze": {"asr_model": "transcribe_batch", "emotion_model": "classify_batch"},
    }[args.command]
    models = {}
    for option, method in needed.items():
        source = getattr(args, option)
        try:
            models[option] = load_model(
                source,
                savedir=args.savedir,
                run_opts={"device": args.device},
                threads=None,  # configured above
                verify=args.verify,
                trusted_keys=args.trusted_key,
            )
        except Exception as err:  # a model that cannot be loaded ends the run
            message = " ".join(str(err).split())  # one line
            print(f"error: cannot load model {source}: {message}", file=sys.stderr)
            return 2
        if not hasattr(models[option], method):
            print(
                f"error: {source} is a {type(models[option]).__name__}, which "
                f"cannot {args.command}",
                file=sys.stderr,
            )
            return 2
    labels = _labels(args)
    if labels == []:
        print(
            "error: --labels: no class given; name classes of the model, e.g. "
            "--labels happy,sad, or leave the option out",
            file=sys.stderr,
        )
        return 2
    if labels is not None:
        try:
            models["model"].allowed_classes(labels)
        except ValueError as err:
            print(f"error: --labels: {err}", file=sys.stderr)
            return 2
    if speakers:
        failed = _enrol(models["model"], speakers)
        if failed:
            return failed
    if args.command == "predict":
        return _predict_command(args, models["model"], labels, speakers)
    if args.command == "timeline":
        work = lambda path: _timeline(models["model"], path, args)  # noqa: E731
    elif args.command == "transcribe":
        work = lambda path: {  # noqa: E731
            "file": display_name(path),
            "text": models["model"].transcribe_file(path),
        }
    else:
        work = lambda path: _analyze(models, path)  # noqa: E731
    progress = had_folder and not args.quiet and sys.stderr.isatty()
    return _run(files, work, args.format, progress)


if __name__ == "__main__":
    sys.exit(main())
