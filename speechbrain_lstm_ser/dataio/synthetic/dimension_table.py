r"""The embedded corpus's dimensions per emotion, computed from its plans.

The dimensions of an embedded-corpus utterance are decided with its prosody,
before any audio is synthesised
(:mod:`~speechbrain_lstm_ser.dataio.synthetic.dimensions`), so their
distribution per emotion is known in a second, for any options, without
generating the corpus::

    python -m speechbrain_lstm_ser.dataio.synthetic.dimension_table
    python -m speechbrain_lstm_ser.dataio.synthetic.dimension_table --jitter 1.5

prints, per emotion, the mean and standard deviation of arousal, valence and
dominance (the table of docs/dimensional.md).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS
from speechbrain_lstm_ser.dataio.prepare_emotion import describe_dimensions
from speechbrain_lstm_ser.dataio.synthetic.emotion import (
    EmbeddedCorpusOptions,
    plan_speaker,
)
from speechbrain_lstm_ser.dataio.synthetic.synthesis import add_option_flags, speakers

__all__ = ["dimensions_by_emotion", "format_table"]


def dimensions_by_emotion(options: EmbeddedCorpusOptions) -> dict[str, dict]:
    """Distribution of each dimension per emotion of the corpus ``options`` plan.

    Arguments
    ---------
    options : EmbeddedCorpusOptions
        The corpus (its audio is not synthesised).

    Returns
    -------
    dict
        Emotion -> dimension -> ``count, mean, std, min, max``
        (:func:`~speechbrain_lstm_ser.dataio.prepare_emotion.describe_dimensions`).

    Example
    -------
    >>> options = EmbeddedCorpusOptions(num_speakers=2, utterances_per_emotion=5)
    >>> table = dimensions_by_emotion(options)
    >>> table["sad"]["arousal"]["mean"] < table["angry"]["arousal"]["mean"]
    True
    """
    rows = [
        utt.row
        for spk_index, speaker in enumerate(speakers(options.num_speakers))
        for utt in plan_speaker(options, spk_index, speaker, options.emotions)
    ]
    return {
        emo: describe_dimensions([r for r in rows if r["emo"] == emo])
        for emo in options.emotions
    }


def format_table(table: dict[str, dict]) -> str:
    """A Markdown table: one row per emotion, ``mean ± std`` per dimension.

    Arguments
    ---------
    table : dict
        :func:`dimensions_by_emotion`'s result.

    Returns
    -------
    str
    """
    lines = [
        "| emotion | utterances | " + " | ".join(DIMENSIONS) + " |",
        "|---|---:|" + "---:|" * len(DIMENSIONS),
    ]
    for emo, stats in table.items():
        cells = [f"{stats[d]['mean']:.3f} ± {stats[d]['std']:.3f}" for d in DIMENSIONS]
        count = stats[DIMENSIONS[0]]["count"]
        lines.append(f"| {emo} | {count} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: prints the table for the options given (default corpus)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_option_flags(parser, EmbeddedCorpusOptions)
    options = EmbeddedCorpusOptions(**vars(parser.parse_args(argv)))
    print(format_table(dimensions_by_emotion(options)))


if __name__ == "__main__":
    main()
