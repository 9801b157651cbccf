"""``robustness``: a classifier's accuracy on perturbed and other-domain audio.

Gain and DC offset (:mod:`speechbrain_lstm_ser.evaluation.robustness`);
with ``--conditions`` / ``--domain``, corrupted conditions and other
domains (:mod:`speechbrain_lstm_ser.evaluation.transfer`). For a speech
recogniser, the WER per condition
(:mod:`speechbrain_lstm_ser.evaluation.transcription_robustness`).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse

from speechbrain_lstm_ser.cli.output import CommandError, errors_as_lines

__all__ = ["add_robustness_parser", "run_robustness"]


def add_robustness_parser(sub) -> None:
    """The ``robustness`` verb."""
    robustness = sub.add_parser(
        "robustness",
        help="accuracy at -20/-10/0/+6 dB and with a DC offset, labels unchanged "
        "(a speech recogniser: WER per condition)",
        description="Evaluates a classifier on a test manifest, each waveform "
        "perturbed (gain, DC offset; --all: clipping, a silent 2nd channel): UA, "
        "WA and the share of labels unchanged from 0 dB per condition "
        "(speechbrain_lstm_ser.evaluation.robustness). A speech recogniser gets "
        "its WER per condition: gain -20/+6 dB, white and babble noise 20/10 dB, "
        "a room of RT60 0.6 s, a GSM telephone channel, or the --conditions groups "
        "(speechbrain_lstm_ser.evaluation.transcription_robustness).",
    )
    robustness.add_argument("--model", required=True, help="exported model folder")
    robustness.add_argument("--manifest", required=True, help="test CSV manifest")
    robustness.add_argument("--data_folder", help="corpus folder ($data_root)")
    robustness.add_argument(
        "--label_column", help="true labels (default: emo; wrd for a recogniser)"
    )
    robustness.add_argument(
        "--decoding",
        choices=("beam", "greedy"),
        default="beam",
        help="a speech recogniser's search (default: its beam search)",
    )
    robustness.add_argument(
        "--all", action="store_true", help="also clipping and a silent 2nd channel"
    )
    robustness.add_argument("--batch_size", type=int, default=1)
    robustness.add_argument(
        "--by-speaker",
        action="store_true",
        help="measure each utterance against its speaker (spk_id; every "
        "speaker's perturbed utterances make its reference: transductive); a "
        "speaker-normalised model only. With --conditions, such a model gets "
        "both columns, any other single utterance only",
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
    robustness.set_defaults(handler=run_robustness)


def run_robustness(args: argparse.Namespace) -> int:
    """Runs ``robustness``: the gain / DC table; 1 on errors.

    With ``--conditions`` or ``--domain``: the cross-domain table.
    """
    from speechbrain_lstm_ser.evaluation import robustness as rob
    from speechbrain_lstm_ser.evaluation.reports import write_json

    with errors_as_lines(1, OSError, ValueError, RuntimeError):
        model = _model(args)
    if hasattr(model, "transcribe_batch"):
        return _run_transcription(args, model)
    if args.by_speaker:
        _refuse_speaker_mode(model)
    if args.conditions or args.domain:
        return _run_transfer(args, model)
    with errors_as_lines(1, OSError, ValueError):
        summary = rob.evaluate_classifier(
            model,
            args.manifest,
            args.data_folder,
            args.label_column or "emo",
            rob.ALL_CONDITIONS if args.all else rob.DEFAULT_CONDITIONS,
            args.batch_size,
            by_speaker=args.by_speaker,
        )
    conditions = ", ".join(rob.CRITERION_CONDITIONS)
    if summary["conditions"]:  # empty for a model of the dimensions alone
        print(rob.format_robustness(summary["conditions"]))
        print(
            _criterion(
                "UA within ±2 points of 0 dB, ≥ 90 % of labels unchanged at "
                + conditions,
                summary["failures"],
            )
        )
    if "dimensions" in summary:
        print(rob.format_dimension_robustness(summary["dimensions"]))
        print(
            _criterion(
                "each CCC within ±0.02 of 0 dB at " + conditions,
                summary["dimension_failures"],
            )
        )
    if args.json:
        write_json(args.json, {"model": str(args.model), **summary})
    return 0


def _criterion(rule: str, failures: list[str]) -> str:
    """One line: the criterion, and whether it is met (else what fails)."""
    return f"criterion ({rule}): " + (
        "met" if not failures else "NOT met: " + "; ".join(failures)
    )


def _run_transcription(args: argparse.Namespace, model) -> int:
    """A speech recogniser: WER per condition, one Markdown table."""
    from speechbrain_lstm_ser.evaluation import transcription_robustness as asr
    from speechbrain_lstm_ser.evaluation.conditions import CONDITION_GROUPS
    from speechbrain_lstm_ser.evaluation.reports import write_json

    with errors_as_lines(1, OSError, ValueError, RuntimeError):
        unsupported = [
            flag
            for flag, given in (
                ("--all", args.all),
                ("--by-speaker", args.by_speaker),
                ("--domain", args.domain),
            )
            if given
        ]
        if unsupported:
            raise ValueError(
                f"{', '.join(unsupported)}: not for a speech recogniser "
                f"({args.model}); use --conditions"
            )
        groups = []
        if args.conditions:
            groups = _condition_groups(args.conditions, ("gain", *CONDITION_GROUPS))
        if args.decoding == "greedy":
            model.decoding = "greedy"
        summary = asr.evaluate_recognizer(
            model,
            args.manifest,
            args.data_folder,
            groups=groups,
            batch_size=args.batch_size,
            seed=args.seed,
            text_column=args.label_column or "wrd",
        )
    print(f"{summary['utterances']} utterances, {summary['decoding']} decoding")
    print(asr.format_transcription_robustness(summary["conditions"]))
    if args.json:
        write_json(args.json, {"model": str(args.model), **summary})
    return 0


def _run_transfer(args: argparse.Namespace, model) -> int:
    """Corrupted conditions and other domains: one table, both modes."""
    from speechbrain_lstm_ser.evaluation import transfer
    from speechbrain_lstm_ser.evaluation.reports import write_json

    skipped = None if args.by_speaker else transfer.no_speaker_mode(model)
    modes = ["speaker"] if args.by_speaker else list(transfer.MODES)
    if skipped:
        modes.remove("speaker")
    with errors_as_lines(1, OSError, ValueError, RuntimeError):
        groups = _condition_groups(args.conditions or "", transfer.GROUPS)
        summary = transfer.evaluate_model_transfer(
            model,
            args.manifest,
            args.data_folder,
            args.label_column or "emo",
            groups,
            args.domain,
            args.seed,
            modes,
            args.batch_size,
        )
    print(transfer.format_transfer_table(summary))
    if skipped:
        summary["speaker_mode"] = f"not measured: {skipped}"
        print(f"per speaker: {summary['speaker_mode']}")
    if args.json:
        write_json(args.json, {"model": str(args.model), **summary})
    return 0


def _refuse_speaker_mode(model) -> None:
    """``--by-speaker`` for a model not trained against speakers: one error line."""
    from speechbrain_lstm_ser.evaluation.transfer import no_speaker_mode

    reason = no_speaker_mode(model)
    if reason:
        raise CommandError(
            1, f"--by-speaker: {reason}; leave --by-speaker out (single utterance)"
        )


def _condition_groups(spec: str, known: tuple[str, ...]) -> list[str]:
    """``--conditions``: ``all`` or comma-separated groups, each one of ``known``.

    Example
    -------
    >>> _condition_groups("noise, gain", ("gain", "noise"))
    ['noise', 'gain']
    >>> _condition_groups("rooms", ("gain", "noise"))
    Traceback (most recent call last):
    ...
    ValueError: --conditions: unknown group(s) rooms; choose among gain, noise or 'all'
    """
    if spec.strip() == "all":
        return list(known)
    groups = [g.strip() for g in spec.split(",") if g.strip()]
    unknown = [g for g in groups if g not in known]
    if unknown:
        raise ValueError(
            f"--conditions: unknown group(s) {', '.join(unknown)}; choose "
            f"among {', '.join(known)} or 'all'"
        )
    return groups


def _model(args: argparse.Namespace):
    """The model of ``--model`` on ``--device``: a classifier or a recogniser."""
    from speechbrain_lstm_ser.inference.load import load_model

    model = load_model(
        args.model, run_opts={"device": args.device}, trusted_keys=args.trusted_key
    )
    if not hasattr(model, "classify_batch") and not hasattr(model, "transcribe_batch"):
        raise ValueError(
            f"{args.model} is neither a classifier nor a speech recogniser"
        )
    return model
