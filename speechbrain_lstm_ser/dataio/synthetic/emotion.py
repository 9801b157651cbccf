r"""The embedded default emotion corpus, synthesised with espeak-ng.

No emotional speech corpus can be downloaded here or ships in any package, so
the project generates one: voice variants of espeak-ng play the speakers (their
gender is known), a fixed list of emotionally neutral sentences plays the
script (as in RAVDESS or CREMA-D, the words carry no emotion), and each of the
four emotions is a prosody profile: speaking rate, pitch, pitch range,
loudness, pauses between words and voice brightness. Every utterance draws
its prosody around its speaker's baseline and its emotion's profile with
random jitter wide enough that the classes overlap. Optional background noise
is mixed in at a random SNR. Each utterance's arousal, valence and dominance
are a documented function of the same drawn prosody offsets
(:mod:`~speechbrain_lstm_ser.dataio.synthetic.dimensions`; synthetic, like
the corpus): the categories are regions of that space.

**What it is for**: a deterministic, download-free corpus that exercises every
code path (recipes, tests, benchmarks, demos) with realistic shapes: many
speakers of both genders, speaker-independent splits, variable durations,
leading and trailing silence, noise.

**What it is not**: human emotional speech. espeak-ng's formant synthesis is
far from natural and its "emotions" are our prosody rules. Accuracy on this
corpus says that the pipeline learns; it says nothing about accuracy on real
recordings. Use a real corpus (IEMOCAP, RAVDESS, CREMA-D, EmoDB) for that.

**Generating it**: ``dataset: embedded`` generates it on first use
(:func:`~speechbrain_lstm_ser.dataio.prepare_emotion.prepare_emotion_data`), or the
command line does, with one flag per field of :class:`EmbeddedCorpusOptions`::

    python -m speechbrain_lstm_ser.dataio.synthetic.emotion \
        data/embedded_emotion --num_speakers 12

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import csv
import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from speechbrain_lstm_ser.dataio.folder_lock import one_writer_per_folder
from speechbrain_lstm_ser.dataio.manifest import (
    DIMENSIONS,
    EMOTION_COLUMNS,
    relative_to_data_root,
    write_manifest,
)
from speechbrain_lstm_ser.dataio.stamps import (
    DONE,
    options_diff,
    read_stamp,
    write_stamp,
)
from speechbrain_lstm_ser.dataio.synthetic.dimensions import DimensionMap
from speechbrain_lstm_ser.dataio.synthetic.espeak import Prosody, SynthesisRequest
from speechbrain_lstm_ser.dataio.synthetic.synthesis import (
    NOISE_KINDS,
    GeneratorOptions,
    Recording,
    Utterance,
    begin_generation,
    finish_generation,
    render_utterances,
    run_generator_cli,
    speaker_baseline,
    speakers,
)

logger = logging.getLogger(__name__)

__all__ = [
    "EMBEDDED_DIMENSIONS",
    "EMOTIONS",
    "EMOTION_PROFILES",
    "SENTENCES",
    "EmbeddedCorpusOptions",
    "EmotionProfile",
    "add_dimensions",
    "generate_embedded_corpus",
    "plan_speaker",
    "speaker_prosody",
]

#: Version of the generation rules; part of the options, so a change of the
#: rules is never mistaken for an existing corpus. Version 3 adds the
#: dimensions to ``corpus.csv`` (the audio is version 2's, byte for byte).
GENERATOR_VERSION = 3
#: The last version whose corpus lacks the dimension columns; such a corpus
#: is upgraded in place (:func:`add_dimensions`), its audio untouched.
NO_DIMENSIONS_VERSION = 2

CORPUS_CSV = "corpus.csv"
STAMP = "corpus.json"

EMOTIONS = ("neutral", "happy", "sad", "angry")

#: Emotionally neutral sentences: the text must not give the label away.
SENTENCES = (
    "The meeting has been moved to the second floor.",
    "Please put the books back on the shelf.",
    "The train leaves at a quarter past seven.",
    "I think the kettle is still on the stove.",
    "We will paint the fence green this weekend.",
    "The parcel arrived on Tuesday afternoon.",
    "There are six chairs around the kitchen table.",
    "Turn left at the end of the street.",
    "The museum opens at ten in the morning.",
    "She wrote the numbers on a small card.",
    "The window in the hall does not close properly.",
    "He left his umbrella by the front door.",
    "The report is due at the end of the month.",
    "Our neighbours bought a new blue car.",
    "The cat is sleeping under the stairs.",
    "Bring the boxes up from the basement.",
    "The bus was full when it reached the station.",
    "I saw the letter on the desk this morning.",
    "The garden needs water before the evening.",
    "They changed the lock on the back gate.",
    "The store closes early on public holidays.",
    "Put the red folder in the top drawer.",
    "The bridge was built about forty years ago.",
    "My brother lives in a flat near the river.",
    "The printer on the third floor is working again.",
    "We are having soup and bread for dinner.",
    "The phone has been ringing all afternoon.",
    "The lamp in the corner needs a new bulb.",
    "I will call the office after lunch.",
    "The dog followed us all the way home.",
    "The keys are hanging next to the door.",
    "Two of the lights in the garage are out.",
    "The doctor will see you in twenty minutes.",
    "The road to the village is closed today.",
    "She moved the plants to the other window.",
    "The form must be signed by both parents.",
    "The clock in the tower stopped at noon.",
    "He is painting the kitchen walls white.",
    "The ferry crosses the lake every hour.",
    "The shop on the corner sells fresh fish.",
)


@dataclasses.dataclass(frozen=True)
class EmotionProfile:
    """Prosody of one emotion, as offsets from a speaker's baseline.

    Each field is ``(mean, standard deviation)``; every utterance draws its
    own value, which is what makes the classes overlap.

    Arguments
    ---------
    rate_scale : tuple
        Multiplies the speaker's speaking rate.
    pitch_shift : tuple
        Added to espeak-ng's pitch (0-100 scale).
    range_shift : tuple
        Added to espeak-ng's pitch range (0-100 scale).
    gain_db : tuple
        Loudness relative to the speaker's level, in dB.
    word_gap : tuple
        Extra pause between words, in units of 10 ms.
    tilt : tuple
        Spectral tilt: positive = brighter (pressed voice), negative = darker.
    """

    rate_scale: tuple[float, float]
    pitch_shift: tuple[float, float]
    range_shift: tuple[float, float]
    gain_db: tuple[float, float]
    word_gap: tuple[float, float]
    tilt: tuple[float, float]


#: The four emotions. Happy and angry are both fast, high and loud; neutral
#: and sad differ mostly in rate, range and pauses: both pairs overlap.
EMOTION_PROFILES = {
    "neutral": EmotionProfile(
        rate_scale=(1.00, 0.07),
        pitch_shift=(0.0, 6.0),
        range_shift=(0.0, 8.0),
        gain_db=(0.0, 2.5),
        word_gap=(0.5, 1.5),
        tilt=(0.0, 0.2),
    ),
    "happy": EmotionProfile(
        rate_scale=(1.06, 0.07),
        pitch_shift=(14.0, 6.0),
        range_shift=(26.0, 9.0),
        gain_db=(2.0, 2.5),
        word_gap=(0.0, 1.0),
        tilt=(0.15, 0.2),
    ),
    "sad": EmotionProfile(
        rate_scale=(0.84, 0.06),
        pitch_shift=(-10.0, 6.0),
        range_shift=(-20.0, 8.0),
        gain_db=(-5.0, 2.5),
        word_gap=(5.0, 2.5),
        tilt=(-0.4, 0.2),
    ),
    "angry": EmotionProfile(
        rate_scale=(1.13, 0.07),
        pitch_shift=(5.0, 6.0),
        range_shift=(8.0, 9.0),
        gain_db=(6.0, 2.5),
        word_gap=(0.0, 1.0),
        tilt=(0.6, 0.2),
    ),
}


#: Arousal, valence and dominance of an utterance from its drawn prosody
#: offsets, standardised on the four profiles (see ``dimensions.py``).
EMBEDDED_DIMENSIONS = DimensionMap.from_profiles(EMOTION_PROFILES)


@dataclasses.dataclass(frozen=True)
class EmbeddedCorpusOptions(GeneratorOptions):
    """Everything that decides the generated corpus (and nothing else).

    Arguments
    ---------
    num_speakers : int
        Number of voices, half female and half male (at least 16 by default).
    utterances_per_emotion : int
        Sentences each speaker says in each emotion (drawn from ``SENTENCES``).
    emotions : tuple of str
        Emotions to render; each must have a profile in ``EMOTION_PROFILES``.
    jitter : float
        Scales every per-utterance standard deviation (1.0 = default overlap).
    noise_prob : float
        Probability that an utterance gets background noise.
    snr_low : float
        Lowest SNR of the background noise, in dB.
    snr_high : float
        Highest SNR of the background noise, in dB.
    max_silence : float
        Leading and trailing silence are drawn up to this many seconds.
    sample_rate : int
        Sample rate of the written files.
    seed : int
        The same options always give byte-identical files and manifests.
    """

    num_speakers: int = 24
    utterances_per_emotion: int = 20
    emotions: tuple[str, ...] = EMOTIONS
    jitter: float = 1.0
    noise_prob: float = 0.5
    snr_low: float = 5.0
    snr_high: float = 30.0
    max_silence: float = 0.3
    sample_rate: int = 16000
    seed: int = 1234

    generator_version = GENERATOR_VERSION

    def __post_init__(self):
        object.__setattr__(self, "emotions", tuple(self.emotions))
        unknown = [e for e in self.emotions if e not in EMOTION_PROFILES]
        if unknown:
            raise ValueError(
                f"no prosody profile for emotion(s) {unknown}; "
                f"the embedded corpus renders {sorted(EMOTION_PROFILES)}"
            )
        self.check_speakers(least=2)
        if not 1 <= self.utterances_per_emotion <= len(SENTENCES):
            raise ValueError(
                f"utterances_per_emotion must be within 1..{len(SENTENCES)}"
            )
        self.check_noise()


def _draw(rng: np.random.Generator, spec: tuple[float, float], jitter: float) -> float:
    mean, std = spec
    return float(rng.normal(mean, std * jitter))


def speaker_prosody(
    baseline: dict[str, float],
    rate_scale: float = 1.0,
    pitch_shift: float = 0.0,
    range_shift: float = 0.0,
    word_gap: float = 0.0,
) -> Prosody:
    """A speaker's prosody moved by an emotion's offsets, in espeak-ng's units.

    Arguments
    ---------
    baseline : dict
        :func:`~speechbrain_lstm_ser.dataio.synthetic.synthesis.speaker_baseline`.
    rate_scale : float
        Multiplier of the speaking rate.
    pitch_shift, range_shift : float
        Added to the pitch and the pitch range (espeak-ng's 0-100 scales).
    word_gap : float
        Extra pause between words (10 ms units).

    Returns
    -------
    Prosody
        Clipped to what espeak-ng accepts and rounded down to its integers;
        no offsets: the speaker's own, neutral prosody.

    Example
    -------
    >>> speaker_prosody({"rate": 171.4, "pitch": 47.9, "range": 55.2})
    Prosody(rate=171, pitch=47, pitch_range=55, volume=100, word_gap=0)
    >>> speaker_prosody({"rate": 171.4, "pitch": 47.9, "range": 55.2}, 0.5, 60, -60)
    Prosody(rate=90, pitch=100, pitch_range=0, volume=100, word_gap=0)
    """
    return Prosody(
        rate=int(np.clip(baseline["rate"] * rate_scale, 90, 400)),
        pitch=int(np.clip(baseline["pitch"] + pitch_shift, 0, 100)),
        pitch_range=int(np.clip(baseline["range"] + range_shift, 0, 100)),
        volume=100,
        word_gap=int(np.clip(round(word_gap), 0, 40)),
    )


def plan_speaker(
    options,
    spk_index: int,
    speaker: tuple[str, str, str],
    emotions: Sequence[str],
    sentences: Sequence[str] = SENTENCES,
) -> list[Utterance]:
    """One speaker's utterances: sentences and prosody drawn from ``options.seed``.

    The embedded corpus and the evaluation domains (``domains.py``) draw
    their utterances this way.

    Arguments
    ---------
    options : EmbeddedCorpusOptions or DomainOptions
        ``seed``, ``utterances_per_emotion`` and the prosody settings.
    spk_index : int
        The speaker's position (seeds its draws).
    speaker : tuple of str
        ``(spk_id, voice, gender)``.
    emotions : sequence of str
        The classes, in order (their positions seed the draws too).
    sentences : sequence of str
        What is said (the held-out languages' domain passes its own);
        ``options.utterances_per_emotion`` of them per emotion.

    Returns
    -------
    list of Utterance
    """
    baseline = speaker_baseline(options.seed, spk_index)
    plans = []
    for emo_index, emo in enumerate(emotions):
        pick_rng = np.random.default_rng([options.seed, spk_index, emo_index])
        chosen = pick_rng.permutation(len(sentences))[: options.utterances_per_emotion]
        for sent_index in sorted(int(i) for i in chosen):
            key = [options.seed, spk_index, emo_index, sent_index]
            plans.append(
                _plan_utterance(
                    f"{speaker[0]}_{emo[:3]}_{sent_index:02d}",
                    speaker,
                    baseline,
                    emo,
                    sentences[sent_index],
                    options,
                    np.random.default_rng(key + [1]),
                    key + [2],
                )
            )
    return plans


def _plan_utterance(
    uid: str,
    speaker: tuple[str, str, str],
    baseline: dict,
    emo: str,
    text: str,
    options: EmbeddedCorpusOptions,
    rng: np.random.Generator,
    noise_seed: list[int],
) -> Utterance:
    """Draws the prosody and recording conditions of one utterance."""
    spk_id, voice, gender = speaker
    profile = EMOTION_PROFILES[emo]
    jit = options.jitter
    # The order of the draws is the corpus: never add, drop or reorder one.
    rate_scale = _draw(rng, profile.rate_scale, jit)
    pitch_shift = _draw(rng, profile.pitch_shift, jit)
    range_shift = _draw(rng, profile.range_shift, jit)
    word_gap = _draw(rng, profile.word_gap, jit)
    tilt = float(np.clip(_draw(rng, profile.tilt, jit), -0.9, 1.5))
    gain_offset = _draw(rng, profile.gain_db, jit)
    prosody = speaker_prosody(baseline, rate_scale, pitch_shift, range_shift, word_gap)
    gain_db = baseline["level_db"] + gain_offset
    lead = float(rng.uniform(0.02, options.max_silence))
    trail = float(rng.uniform(0.02, options.max_silence))
    noisy = rng.random() < options.noise_prob
    kind = NOISE_KINDS[rng.integers(3)]
    snr = float(rng.uniform(options.snr_low, options.snr_high))
    synth_seed = int(rng.integers(2**31))
    # What is rendered, relative to the speaker (the clipped, rounded values).
    dimensions = EMBEDDED_DIMENSIONS(
        {
            "rate_scale": prosody.rate / baseline["rate"],
            "pitch_shift": prosody.pitch - baseline["pitch"],
            "range_shift": prosody.pitch_range - baseline["range"],
            "gain_db": gain_offset,
            "word_gap": prosody.word_gap,
            "tilt": tilt,
        }
    )
    return Utterance(
        request=SynthesisRequest(text, voice, prosody, synth_seed),
        recording=Recording(
            gain_db=gain_db,
            tilt=tilt,
            lead=lead,
            trail=trail,
            noise=kind if noisy else None,
            snr=snr,
            noise_seed=noise_seed,
        ),
        path=f"wavs/{spk_id}/{uid}.wav",
        row={
            "ID": uid,
            "spk_id": spk_id,
            "gender": gender,
            "emo": emo,
            "text": text,
            **{dim: f"{value:.4f}" for dim, value in dimensions.items()},
        },
    )


def add_dimensions(
    folder: str | Path,
    options: dict,
    old_version: int,
    plans: list[list[Utterance]],
    stamp: str = STAMP,
    corpus_csv: str = CORPUS_CSV,
) -> bool:
    """Upgrades a finished corpus of an older generator by adding its dimensions.

    The dimensions are a function of each utterance's plan (which fixes its
    audio too), so a corpus of the generator version before the dimensions
    gets them without being synthesised again: ``corpus.csv`` gains the
    :data:`~speechbrain_lstm_ser.dataio.manifest.DIMENSIONS` columns and the
    stamp the new version; the audio files are not touched.

    Arguments
    ---------
    folder : str or Path
        The corpus folder.
    options : dict
        The generation options of the current version (``as_dict()``).
    old_version : int
        The generator version that wrote corpora without the dimensions.
    plans : list of list of Utterance
        The corpus's utterances as the current version plans them.
    stamp, corpus_csv : str
        The stamp and manifest file names in ``folder``.

    Returns
    -------
    bool
        True when ``folder`` held such a corpus, now upgraded; False when it
        did not (nothing is written).
    """
    folder = Path(folder)
    found = read_stamp(folder / stamp)
    if (
        found is None
        or found.get("status") != DONE
        or options_diff(
            found.get("options", {}), {**options, "generator_version": old_version}
        )
        or not (folder / corpus_csv).is_file()
    ):
        return False
    with open(folder / corpus_csv, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    planned = {u.row["ID"]: u.row for group in plans for u in group}
    if sorted(r["ID"] for r in rows) != sorted(planned):
        return False  # not what these options plan: left to the usual checks
    for row in rows:
        row.update({dim: planned[row["ID"]][dim] for dim in DIMENSIONS})
    write_manifest(folder / corpus_csv, rows, EMOTION_COLUMNS)
    facts = {k: v for k, v in found.items() if k not in ("status", "options")}
    write_stamp(folder / stamp, options, DONE, **facts)
    logger.info(
        f"{folder}: added {', '.join(DIMENSIONS)} to {corpus_csv} (generator "
        f"version {old_version} -> {options['generator_version']}; audio unchanged)"
    )
    return True


@one_writer_per_folder
def generate_embedded_corpus(
    data_folder: str | Path,
    options: EmbeddedCorpusOptions | None = None,
    num_workers: int = 2,
) -> Path:
    """Generates the embedded emotion corpus into ``data_folder`` (idempotent).

    Writes ``wavs/<spk_id>/<ID>.wav`` (16 kHz mono PCM), ``corpus.csv`` (one
    row per utterance: ``ID, duration, wav, spk_id, gender, emo, text,
    arousal, valence, dominance`` with ``wav`` relative to ``$data_root`` and
    the dimensions of :data:`EMBEDDED_DIMENSIONS`) and ``corpus.json`` (the
    options, the speakers and a reminder that the corpus is synthetic).

    A second call with the same options does nothing. A corpus of generator
    version 2 (same audio, no dimension columns) gets its dimensions added
    in place (:func:`add_dimensions`). A call with different
    options, or on a non-empty folder that holds no generated corpus, raises
    ``FileExistsError`` and writes nothing. An interrupted generation is
    redone from scratch on the next call.

    Arguments
    ---------
    data_folder : str or Path
        Where to write the corpus.
    options : EmbeddedCorpusOptions, optional
        Generation options; the defaults give 24 speakers x 4 emotions x 20
        sentences = 1920 utterances.
    num_workers : int
        Synthesis processes run in parallel (does not change the output).

    Returns
    -------
    Path
        The path of ``corpus.csv``.
    """
    options = options or EmbeddedCorpusOptions()
    folder = Path(data_folder)
    opts = options.as_dict()
    speaker_table = []
    plans: list[list[Utterance]] = []
    for spk_index, speaker in enumerate(speakers(options.num_speakers)):
        spk_id, voice, gender = speaker
        speaker_table.append({"spk_id": spk_id, "voice": voice, "gender": gender})
        plans.append(plan_speaker(options, spk_index, speaker, options.emotions))
    if add_dimensions(folder, opts, NO_DIMENSIONS_VERSION, plans) or not (
        begin_generation(
            folder, STAMP, opts, CORPUS_CSV, ["wavs"], "embedded emotion corpus"
        )
    ):
        return folder / CORPUS_CSV

    # One fresh espeak-ng process per speaker: a speaker's audio depends only
    # on its own utterances (see espeak.synthesize_isolated).
    rows = render_utterances(folder, plans, options.sample_rate, num_workers)
    for row, utt in zip(rows, (u for group in plans for u in group), strict=True):
        row["wav"] = relative_to_data_root(folder / utt.path, folder)
    write_manifest(folder / CORPUS_CSV, rows, EMOTION_COLUMNS)
    finish_generation(
        folder,
        STAMP,
        opts,
        note=(
            "Synthetic speech from espeak-ng with rule-based emotional prosody. "
            "For demos, tests and smoke runs only: accuracy on this corpus is "
            "not accuracy on human emotional speech."
        ),
        num_utterances=len(rows),
        speakers=speaker_table,
    )
    logger.info(f"Embedded corpus: {len(rows)} utterances in {folder}")
    return folder / CORPUS_CSV


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m speechbrain_lstm_ser.dataio.synthetic.emotion``."""
    run_generator_cli(
        __doc__.split("\n\n")[0],
        EmbeddedCorpusOptions,
        generate_embedded_corpus,
        argv,
    )


if __name__ == "__main__":
    main()
