r"""The embedded default spoken-command corpus, synthesised with espeak-ng.

Many espeak-ng voices of both genders say the ten command words of the
usual Speech Commands task (yes, no, up, down, left, right, on, off, stop,
go) several times each, plus some of the corpus's other words, which play
the "unknown" class. Every clip is one second long, with the word at a
random position, its own speaking rate, pitch and level, and background
noise on some clips. Long recordings of background noise (white, pink,
brown, mains hum) are written too: the "silence" class and the noise
augmentation are cut from them, as with the real corpus.

The corpus is written in the **Google Speech Commands layout**, so that it
is read by the very code that reads the real corpus
(:func:`speechbrain_lstm_ser.dataio.corpora.speech_commands.read_speech_commands`)::

    <data_folder>/<word>/<speaker-hash>_nohash_<n>.wav
    <data_folder>/_background_noise_/<noise>.wav
    <data_folder>/validation_list.txt, testing_list.txt   (held-out speakers)

The held-out speakers are chosen like every split of this project:
speaker-independent and balanced by gender. Speaker genders are recorded in
``corpus.json``.

**What it is for**: running the commands recipe, its tests and demos
anywhere, with no download. **What it is not**: human speech; accuracy on it
says nothing about accuracy on real recordings.

**Generating it**: ``dataset: embedded`` generates it on first use
(:func:`~speechbrain_lstm_ser.dataio.prepare_commands.prepare_commands_data`), or the
command line does, with one flag per field of :class:`EmbeddedCommandsOptions`::

    python -m speechbrain_lstm_ser.dataio.synthetic.commands \
        data/embedded_commands --repetitions 2

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from pathlib import Path

import numpy as np

from speechbrain_lstm_ser.dataio.audio import write_audio
from speechbrain_lstm_ser.dataio.folder_lock import one_writer_per_folder
from speechbrain_lstm_ser.dataio.splits import split_speakers
from speechbrain_lstm_ser.dataio.synthetic.espeak import Prosody, SynthesisRequest
from speechbrain_lstm_ser.dataio.synthetic.synthesis import (
    NOISE_KINDS,
    GeneratorOptions,
    Recording,
    Utterance,
    begin_generation,
    colored_noise,
    finish_generation,
    render_utterances,
    run_generator_cli,
    speaker_baseline,
    speakers,
)

logger = logging.getLogger(__name__)

__all__ = [
    "AUXILIARY_WORDS",
    "COMMAND_WORDS",
    "EmbeddedCommandsOptions",
    "generate_embedded_commands_corpus",
    "noise_recording",
    "plan_clip",
    "speaker_hash",
    "words_said",
]

#: Version of the generation rules (part of the stamped options).
GENERATOR_VERSION = 1

STAMP = "corpus.json"
NOISE_FOLDER = "_background_noise_"
VALIDATION_LIST = "validation_list.txt"
TESTING_LIST = "testing_list.txt"

#: The ten commands of the usual 12-class Speech Commands task.
COMMAND_WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")

#: The other words of Speech Commands v2: the "unknown" class.
AUXILIARY_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "bed",
    "bird",
    "cat",
    "dog",
    "happy",
    "house",
    "marvin",
    "sheila",
    "tree",
    "wow",
    "backward",
    "forward",
    "follow",
    "learn",
    "visual",
)

#: Background noise recordings: colours of :data:`NOISE_KINDS` plus mains hum.
NOISE_RECORDINGS = (*NOISE_KINDS, "hum")


def speaker_hash(seed: int, spk_id: str) -> str:
    """The 8-hex-digit speaker code of file names, as in Speech Commands.

    Arguments
    ---------
    seed : int
        The corpus seed.
    spk_id : str
        The speaker's name in the generator.

    Returns
    -------
    str

    Example
    -------
    >>> speaker_hash(1234, "f01")
    'd8e48fda'
    """
    return hashlib.sha1(f"{seed}-{spk_id}".encode()).hexdigest()[:8]


@dataclasses.dataclass(frozen=True)
class EmbeddedCommandsOptions(GeneratorOptions):
    """Everything that decides the generated command corpus.

    Arguments
    ---------
    num_speakers : int
        Number of voices, female and male alternating.
    repetitions : int
        How many times each speaker says each command word.
    auxiliary_per_speaker : int
        How many of the other words (``AUXILIARY_WORDS``) each speaker says,
        once each.
    valid_speakers : int
        Speakers listed in ``validation_list.txt``.
    test_speakers : int
        Speakers listed in ``testing_list.txt``.
    noise_prob : float
        Probability that a clip gets background noise.
    snr_low : float
        Lowest SNR of the background noise, in dB.
    snr_high : float
        Highest SNR of the background noise, in dB.
    noise_seconds : float
        Length of each ``_background_noise_`` recording.
    sample_rate : int
        Sample rate of the written files.
    seed : int
        The same options always give byte-identical files.
    """

    num_speakers: int = 28
    repetitions: int = 3
    auxiliary_per_speaker: int = 10
    valid_speakers: int = 4
    test_speakers: int = 4
    noise_prob: float = 0.5
    snr_low: float = 5.0
    snr_high: float = 30.0
    noise_seconds: float = 60.0
    sample_rate: int = 16000
    seed: int = 1234

    generator_version = GENERATOR_VERSION

    def __post_init__(self):
        self.check_speakers(least=3)
        if self.repetitions < 1:
            raise ValueError("repetitions must be >= 1")
        if not 0 <= self.auxiliary_per_speaker <= len(AUXILIARY_WORDS):
            raise ValueError(
                f"auxiliary_per_speaker must be within 0..{len(AUXILIARY_WORDS)}"
            )
        self.check_noise()
        if self.noise_seconds < 5:
            raise ValueError("noise_seconds must be at least 5")


def words_said(options, spk_index: int) -> list[tuple[str, int]]:
    """What one speaker says: ``(word, take)``, the commands then other words.

    Each command word ``options.repetitions`` times, then
    ``options.auxiliary_per_speaker`` of :data:`AUXILIARY_WORDS` once each,
    drawn from ``options.seed`` and the speaker's position. The embedded
    corpus and the Flite commands domain choose their words this way.

    Arguments
    ---------
    options : EmbeddedCommandsOptions or CommandDomainOptions
        ``seed``, ``repetitions`` and ``auxiliary_per_speaker``.
    spk_index : int
        The speaker's position.

    Returns
    -------
    list of tuple

    Example
    -------
    >>> said = words_said(EmbeddedCommandsOptions(repetitions=1), 0)
    >>> said[:2], len(said)
    ([('yes', 0), ('no', 0)], 20)
    """
    pick = np.random.default_rng([options.seed, spk_index, 0])
    chosen = pick.permutation(len(AUXILIARY_WORDS))[: options.auxiliary_per_speaker]
    said = [(w, t) for w in COMMAND_WORDS for t in range(options.repetitions)]
    return said + [(w, 0) for w in sorted(AUXILIARY_WORDS[int(i)] for i in chosen)]


def plan_clip(
    voice: str,
    code: str,
    word: str,
    take: int,
    baseline: dict,
    options: EmbeddedCommandsOptions,
    key: list[int],
) -> Utterance:
    """Draws the prosody and recording conditions of one clip.

    The embedded corpus and the Flite commands domain
    (:mod:`~speechbrain_lstm_ser.dataio.synthetic.command_domains`) draw
    their clips this way.
    """
    rng = np.random.default_rng(key)
    prosody = Prosody(
        rate=int(np.clip(baseline["rate"] * rng.normal(1.0, 0.1), 100, 300)),
        pitch=int(np.clip(baseline["pitch"] + rng.normal(0, 8), 0, 100)),
        pitch_range=int(np.clip(baseline["range"] + rng.normal(0, 12), 0, 100)),
    )
    noisy = rng.random() < options.noise_prob
    recording = Recording(
        gain_db=baseline["level_db"] + float(rng.normal(0, 3)),
        tilt=float(np.clip(rng.normal(0.0, 0.25), -0.9, 1.5)),
        noise=NOISE_KINDS[int(rng.integers(len(NOISE_KINDS)))] if noisy else None,
        snr=float(rng.uniform(options.snr_low, options.snr_high)),
        noise_seed=(*key, 2),
        clip_duration=1.0,
        position=float(rng.uniform(0.1, 0.9)),
    )
    request = SynthesisRequest(word, voice, prosody, int(rng.integers(2**31)))
    return Utterance(request, recording, f"{word}/{code}_nohash_{take}.wav")


def noise_recording(kind: str, seconds: float, sample_rate: int, seed: int):
    """A background-noise recording: coloured noise or mains hum, as float32.

    Arguments
    ---------
    kind : str
        One of :data:`NOISE_RECORDINGS`.
    seconds : float
        Its length.
    sample_rate : int
        Its rate.
    seed : int
        Seed of the draw (with the kind).

    Returns
    -------
    numpy.ndarray

    Example
    -------
    >>> noise_recording("hum", 1.0, 8000, 0).shape
    (8000,)
    """
    n = int(seconds * sample_rate)
    rng = np.random.default_rng([seed, NOISE_RECORDINGS.index(kind)])
    if kind == "hum":
        t = np.arange(n) / sample_rate
        hum = sum(np.sin(2 * np.pi * 50 * h * t) / h for h in (1, 2, 3, 5))
        noise = hum / np.sqrt(np.mean(hum**2)) + 0.3 * colored_noise(rng, n, "pink")
        noise /= np.sqrt(np.mean(noise**2))
    else:
        noise = colored_noise(rng, n, kind)
    return (0.1 * noise / max(1.0, np.abs(0.1 * noise).max() / 0.99)).astype(np.float32)


@one_writer_per_folder
def generate_embedded_commands_corpus(
    data_folder: str | Path,
    options: EmbeddedCommandsOptions | None = None,
    num_workers: int = 2,
) -> Path:
    """Generates the embedded command corpus into ``data_folder`` (idempotent).

    Writes a Speech Commands-style tree (see the module docstring) and
    ``corpus.json`` (options, speakers with their hash and gender, and a
    reminder that the speech is synthetic). A second call with the same
    options does nothing; other options, or a non-empty folder it did not
    write, raise ``FileExistsError`` and nothing is written.

    Arguments
    ---------
    data_folder : str or Path
        Where to write the corpus.
    options : EmbeddedCommandsOptions, optional
        Generation options; the defaults give 28 speakers x (10 commands x 3
        + 10 other words) = 1120 clips.
    num_workers : int
        Synthesis processes run in parallel (does not change the output).

    Returns
    -------
    Path
        The corpus folder.
    """
    options = options or EmbeddedCommandsOptions()
    folder = Path(data_folder)
    opts = options.as_dict()
    outputs = [*COMMAND_WORDS, *AUXILIARY_WORDS, NOISE_FOLDER]
    outputs += [VALIDATION_LIST, TESTING_LIST]
    if not begin_generation(
        folder, STAMP, opts, TESTING_LIST, outputs, "embedded command corpus"
    ):
        return folder
    table, plans = [], []
    for spk_index, (name, voice, gender) in enumerate(speakers(options.num_speakers)):
        code = speaker_hash(options.seed, name)
        baseline = speaker_baseline(options.seed, spk_index)
        said = words_said(options, spk_index)
        plans.append(
            [
                plan_clip(
                    voice,
                    code,
                    word,
                    take,
                    baseline,
                    options,
                    [options.seed, spk_index, 1 + i],
                )
                for i, (word, take) in enumerate(said)
            ]
        )
        table.append({"spk_id": code, "name": name, "voice": voice, "gender": gender})
    rows = render_utterances(folder, plans, options.sample_rate, num_workers)
    (folder / NOISE_FOLDER).mkdir()
    for kind in NOISE_RECORDINGS:
        write_audio(
            folder / NOISE_FOLDER / f"{kind}_noise.wav",
            noise_recording(
                kind, options.noise_seconds, options.sample_rate, options.seed
            ),
            options.sample_rate,
        )
    held_out = split_speakers(
        {s["spk_id"]: s["gender"] for s in table},
        options.valid_speakers,
        options.test_speakers,
        options.seed,
    )
    for list_name, split in ((VALIDATION_LIST, "valid"), (TESTING_LIST, "test")):
        chosen = set(held_out[split])
        lines = [
            utt.path
            for group in plans
            for utt in group
            if utt.path.split("/")[1].split("_")[0] in chosen
        ]
        (folder / list_name).write_text("\n".join(sorted(lines)) + "\n")
    finish_generation(
        folder,
        STAMP,
        opts,
        note=(
            "Synthetic speech from espeak-ng: single words in one-second clips. "
            "For demos, tests and smoke runs only: accuracy on this corpus is "
            "not accuracy on human speech."
        ),
        num_utterances=len(rows),
        speakers=table,
    )
    logger.info(f"Embedded command corpus: {len(rows)} clips in {folder}")
    return folder


def main(argv: list[str] | None = None) -> None:
    """``python -m speechbrain_lstm_ser.dataio.synthetic.commands DIR``."""
    run_generator_cli(
        __doc__.split("\n\n")[0],
        EmbeddedCommandsOptions,
        generate_embedded_commands_corpus,
        argv,
    )


if __name__ == "__main__":
    main()
