r"""The resynthesis validation domain: emotions imposed on neutral speech by vocoder.

The held-out espeak-ng voices and utterances of the ``validation`` domain
(:mod:`~speechbrain_lstm_ser.dataio.synthetic.domains`), but espeak-ng speaks
every sentence at the speaker's own, neutral prosody (its baseline rate, pitch
and range; no word gaps), and the LPC vocoder
(:mod:`~speechbrain_lstm_ser.processing.vocoder`) then imposes the utterance's
emotion as global changes: the duration stretched by the rate, the mean F0
scaled by the pitch (1 unit = 1 % of the voice's F0, as for Flite), the log-F0
spread by the range. The recording (level, brightness, silences, noise) is the
validation domain's. **For choosing models only**: never train on it.

It lives here, not with the other domains in ``dataio``, because the vocoder
reads F0 with the model's own YIN tracker
(:class:`~speechbrain_lstm_ser.nnet.features.ProsodyFeatures`) and the data
layer imports no model code. Generated like the other domains (idempotent,
stamped, never writing into a folder it did not make)::

    python -m speechbrain_lstm_ser.processing.resynthesis data/emotion_resynthesis

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

from speechbrain_lstm_ser.dataio.synthetic.domains import (
    DomainOptions,
    generate_domain_corpus,
    relative_f0,
)
from speechbrain_lstm_ser.dataio.synthetic.emotion import speaker_prosody
from speechbrain_lstm_ser.dataio.synthetic.espeak import EspeakSynthesizer, Prosody
from speechbrain_lstm_ser.dataio.synthetic.synthesis import (
    Utterance,
    render_utterances,
    run_generator_cli,
    speaker_baseline,
)
from speechbrain_lstm_ser.processing.vocoder import LPCVocoder, ProsodyChange

__all__ = [
    "generate_resynthesis_corpus",
    "prosody_change",
    "render_resynthesis",
]


def prosody_change(target: Prosody, neutral: Prosody) -> ProsodyChange:
    """The vocoder's change from a speaker's neutral prosody to an utterance's.

    Arguments
    ---------
    target : Prosody
        The utterance's prosody, as the embedded corpus would ask espeak-ng.
    neutral : Prosody
        What espeak-ng rendered: the speaker's own.

    Returns
    -------
    ProsodyChange
        The duration by the rate, the mean F0 by the pitch (1 unit = 1 % of
        the voice's F0, as for Flite), the log-F0 spread by the range.

    Example
    -------
    >>> prosody_change(Prosody(rate=150, pitch=60, pitch_range=25),
    ...                Prosody(rate=180, pitch=50, pitch_range=50))
    ProsodyChange(stretch=1.2, f0_scale=1.1, range_scale=0.5)
    """
    return ProsodyChange(
        stretch=neutral.rate / target.rate,
        f0_scale=relative_f0(target.pitch) / relative_f0(neutral.pitch),
        range_scale=target.pitch_range / max(neutral.pitch_range, 1),
    )


def render_resynthesis(
    folder: Path, options: DomainOptions, plans: list[list[Utterance]]
) -> list[dict]:
    """espeak-ng at each speaker's neutral prosody, then the emotion by vocoder.

    Arguments
    ---------
    folder : Path
        Where each ``utt.path`` is written.
    options : DomainOptions
        The domain's (its seed gives each speaker's baseline).
    plans : list of list of Utterance
        Per speaker, its utterances as :func:`_plans` draws them.

    Returns
    -------
    list of dict
        Each utterance's ``row`` with its ``duration``.
    """
    changes, neutral_plans = {}, []
    for spk_index, group in enumerate(plans):
        neutral = speaker_prosody(speaker_baseline(options.seed, spk_index))
        neutral_plans.append([])
        for utt in group:
            changes[utt.row["ID"]] = prosody_change(utt.request.prosody, neutral)
            request = dataclasses.replace(utt.request, prosody=neutral)
            neutral_plans[-1].append(dataclasses.replace(utt, request=request))
    vocoder = LPCVocoder(EspeakSynthesizer.native_sample_rate)

    def resynthesise(utt: Utterance, raw: np.ndarray, native_sr: int) -> np.ndarray:
        assert native_sr == vocoder.sample_rate, native_sr
        wav = raw.astype(np.float64)
        frames = vocoder.analyse(wav / 32768.0)
        out = vocoder.synthesise(frames, changes[utt.row["ID"]], utt.request.seed)
        # espeak-ng's level (the recording sets the final one), int16 range
        out *= np.sqrt(np.mean(wav**2) / (np.mean(out**2) + 1e-20))
        return np.clip(out, -32767.0, 32767.0)

    return render_utterances(
        folder, neutral_plans, options.sample_rate, transform=resynthesise
    )


def generate_resynthesis_corpus(
    data_folder: str | Path, options: DomainOptions | None = None
) -> Path:
    """Generates the resynthesis domain into ``data_folder`` (idempotent).

    Arguments
    ---------
    data_folder : str or Path
        Where to write it.
    options : DomainOptions, optional
        Its options (the domain is set to ``resynthesis``).

    Returns
    -------
    Path
        The path of ``corpus.csv``.
    """
    options = dataclasses.replace(options or DomainOptions(), domain="resynthesis")
    return generate_domain_corpus(data_folder, options, render=render_resynthesis)


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m ...processing.resynthesis FOLDER [options]``."""
    try:
        run_generator_cli(
            __doc__.split("\n\n")[0],
            DomainOptions,
            generate_resynthesis_corpus,
            list(sys.argv[1:] if argv is None else argv) + ["--domain", "resynthesis"],
        )
    except (FileExistsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
