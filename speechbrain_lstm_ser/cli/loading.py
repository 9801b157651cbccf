"""A verb's model: loaded from its options, restricted to ``--labels``, enrolled.

Every failure ends the verb with exit status 2 and one line.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
from pathlib import Path

from speechbrain_lstm_ser.cli.output import CommandError, squeeze

__all__ = ["enrol", "load_for", "parse_labels", "restrict_labels"]


def load_for(args: argparse.Namespace, source: str, method: str):
    """The model at ``source``, loaded as ``args`` say; it must have ``method``.

    Arguments
    ---------
    args : argparse.Namespace
        The verb's ``--savedir``, ``--device``, ``--verify``, ``--trusted-key``.
    source : str
        A model folder or Hub repo id.
    method : str
        What the verb calls (``classify_file``, ``timeline``, ...).

    Returns
    -------
    The loaded interface (:func:`speechbrain_lstm_ser.inference.load.load_model`).
    """
    from speechbrain_lstm_ser.inference.load import load_model

    try:
        model = load_model(
            source,
            savedir=args.savedir,
            run_opts={"device": args.device},
            threads=None,  # configured before PyTorch loaded
            verify=args.verify,
            trusted_keys=args.trusted_key,
        )
    except Exception as err:  # a model that cannot be loaded ends the run
        raise CommandError(2, f"cannot load model {source}: {squeeze(err)}") from None
    if not hasattr(model, method):
        raise CommandError(
            2, f"{source} is a {type(model).__name__}, which cannot {args.command}"
        )
    return model


def parse_labels(text: str | None) -> list[str] | None:
    """``--labels a,b`` as a list (None when not given; ``""`` gives []).

    Example
    -------
    >>> parse_labels(" happy, sad,"), parse_labels(None), parse_labels("")
    (['happy', 'sad'], None, [])
    """
    if text is None:
        return None
    return [x.strip() for x in text.split(",") if x.strip()]


def restrict_labels(model, text: str | None) -> list[str] | None:
    """``--labels``, checked against the model's classes (None: all of them)."""
    labels = parse_labels(text)
    if labels == []:
        raise CommandError(
            2,
            "--labels: no class given; name classes of the model, e.g. "
            "--labels happy,sad, or leave the option out",
        )
    if labels is not None:
        try:
            model.allowed_classes(labels)
        except ValueError as err:
            raise CommandError(2, f"--labels: {err}") from None
    return labels


def enrol(model, speakers: dict[Path, str]) -> None:
    """Enrols every speaker of a ``--speakers`` list with all of their files."""
    from speechbrain_lstm_ser.dataio.audio import AudioError

    by_speaker: dict[str, list[Path]] = {}
    for path, speaker in speakers.items():
        by_speaker.setdefault(speaker, []).append(path)
    try:
        for speaker, paths in by_speaker.items():
            model.enrol(speaker, paths)
    except (AudioError, ValueError) as err:
        raise CommandError(2, f"--speakers: {err}") from None
