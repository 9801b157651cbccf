r"""The embedded default speech recognition corpus, synthesised with espeak-ng.

Many espeak-ng voices of both genders read sentences drawn from a small
grammar: smart-home commands ("TURN OFF THE BEDROOM LIGHTS", "SET THE
THERMOSTAT TO TWENTY ONE DEGREES"), digits and numbers ("MY CODE IS FOUR
SEVEN ONE NINE"), and short everyday sentences ("I LEFT MY KEYS IN THE
GARAGE"), over a vocabulary of about three hundred words. Each utterance
draws its own speaking rate, pitch and level around its speaker's baseline,
and optionally background noise.

The corpus is written in the **LibriSpeech layout**, so that it is read by
the very code that reads LibriSpeech
(:func:`speechbrain_lstm_ser.dataio.corpora.librispeech.read_librispeech`)::

    <data_folder>/SPEAKERS.TXT                 speaker | sex | subset | ...
    <data_folder>/synthetic/<spk>/<chapter>/<spk>-<chapter>.trans.txt
    <data_folder>/synthetic/<spk>/<chapter>/<spk>-<chapter>-<nnnn>.flac

**What it is for**: running the ASR recipe, its tests and demos anywhere,
with no download. **What it is not**: human speech. Word error rates on it
say that the pipeline learns; they say nothing about accuracy on real
recordings (use LibriSpeech or your own corpus for that).

**Generating it**: ``dataset: embedded`` generates it on first use
(:func:`~speechbrain_lstm_ser.dataio.prepare_asr.prepare_asr_data`), or the
command line does, with one flag per field of :class:`EmbeddedASROptions`::

    python -m speechbrain_lstm_ser.dataio.synthetic.asr \
        data/embedded_asr --num_speakers 8

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np

from speechbrain_lstm_ser.dataio.folder_lock import one_writer_per_folder
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
    "EmbeddedASROptions",
    "generate_embedded_asr_corpus",
    "number_words",
    "random_sentence",
    "vocabulary",
]

#: Version of the generation rules (part of the stamped options).
GENERATOR_VERSION = 1

STAMP = "corpus.json"
SPEAKERS_TXT = "SPEAKERS.TXT"
SUBSET = "synthetic"

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve "
    "thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """Spells a number from 0 to 999 as words, the way people say it.

    Arguments
    ---------
    n : int
        The number.

    Returns
    -------
    str

    Example
    -------
    >>> number_words(7), number_words(21), number_words(340), number_words(105)
    ('seven', 'twenty one', 'three hundred and forty', 'one hundred and five')
    """
    if not 0 <= n <= 999:
        raise ValueError(f"number_words handles 0..999, got {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    head = f"{_ONES[hundreds]} hundred"
    return head + (f" and {number_words(rest)}" if rest else "")


_ROOMS = (
    "kitchen",
    "living room",
    "bedroom",
    "bathroom",
    "hallway",
    "garage",
    "office",
    "basement",
    "dining room",
    "nursery",
    "attic",
    "laundry room",
    "guest room",
    "study",
    "garden",
    "porch",
)
_SWITCHABLE = (
    "lights",
    "lamp",
    "heating",
    "fan",
    "television",
    "radio",
    "speaker",
    "heater",
    "air conditioning",
    "night light",
    "ceiling fan",
    "printer",
)
_APPLIANCES = (
    "dishwasher",
    "washing machine",
    "dryer",
    "coffee machine",
    "vacuum cleaner",
    "oven",
    "kettle",
    "sprinkler",
    "microwave",
    "robot mower",
)
_OPENABLE = (
    "blinds",
    "curtains",
    "window",
    "garage door",
    "front door",
    "back door",
    "gate",
    "shutters",
)
_DOORS = ("front", "back", "garage", "side", "cellar", "garden")
_MUSIC = (
    "jazz",
    "rock",
    "classical music",
    "pop music",
    "the news",
    "the radio",
    "my playlist",
    "some blues",
    "folk songs",
    "relaxing music",
)
_COLOURS = ("red", "blue", "green", "yellow", "white", "orange", "purple", "pink")
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PEOPLE = (
    "mom",
    "dad",
    "grandma",
    "grandpa",
    "my sister",
    "my brother",
    "uncle peter",
    "aunt mary",
    "the doctor",
    "the plumber",
    "our neighbour",
    "the teacher",
)
_FOOD = (
    "bread",
    "milk",
    "eggs",
    "apples",
    "cheese",
    "coffee",
    "tea",
    "rice",
    "butter",
    "sugar",
    "soup",
    "tomatoes",
    "potatoes",
    "onions",
    "bananas",
    "oranges",
    "chicken",
    "fish",
    "pasta",
    "carrots",
    "yoghurt",
    "flour",
    "honey",
    "lemons",
)
_THINGS = (
    "keys",
    "phone",
    "wallet",
    "umbrella",
    "book",
    "glasses",
    "jacket",
    "shoes",
    "bag",
    "letter",
    "ticket",
    "charger",
    "laptop",
    "scarf",
    "gloves",
    "camera",
    "notebook",
    "hat",
)
_WEATHER = (
    "cold",
    "warm",
    "sunny",
    "windy",
    "cloudy",
    "raining",
    "snowing",
    "very hot",
)
_WHEN = ("today", "tonight", "tomorrow", "this morning", "this evening", "next week")
_CHORES = (
    "water the plants",
    "feed the cat",
    "walk the dog",
    "pay the bills",
    "call the bank",
    "take out the rubbish",
    "book a table",
    "clean the windows",
    "pick up the children",
    "buy a present",
)


def _time(rng: np.random.Generator) -> str:
    hour = int(rng.integers(1, 13))
    style = int(rng.integers(4))
    if style == 0:
        return f"{number_words(hour)} o'clock"
    if style == 1:
        return f"half past {number_words(hour)}"
    if style == 2:
        return f"quarter to {number_words(hour)}"
    minute = int(rng.choice([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55]))
    minute_words = number_words(minute) if minute >= 10 else f"oh {_ONES[minute]}"
    return f"{number_words(hour)} {minute_words}"


def _digits(rng: np.random.Generator, count: int) -> str:
    return " ".join(_ONES[int(d)] for d in rng.integers(0, 10, count))


def _pick(rng: np.random.Generator, words: tuple[str, ...]) -> str:
    return words[int(rng.integers(len(words)))]


def _templates() -> list:
    """Sentence makers: each takes a generator and returns lower-case text."""
    p = _pick
    return [
        # smart-home commands
        lambda r: f"turn {p(r, ('on', 'off'))} the {p(r, _ROOMS)} {p(r, _SWITCHABLE)}",
        lambda r: (
            f"switch the {p(r, _SWITCHABLE)} in the {p(r, _ROOMS)} "
            f"{p(r, ('on', 'off'))}"
        ),
        lambda r: (
            f"set the {p(r, ('thermostat', 'heating', 'temperature'))} to "
            f"{number_words(int(r.integers(15, 31)))} degrees"
        ),
        lambda r: (
            f"dim the {p(r, _ROOMS)} lights to "
            f"{number_words(10 * int(r.integers(1, 10)))} percent"
        ),
        lambda r: f"{p(r, ('open', 'close'))} the {p(r, _ROOMS)} {p(r, _OPENABLE)}",
        lambda r: f"{p(r, ('lock', 'unlock'))} the {p(r, _DOORS)} door",
        lambda r: f"set an alarm for {_time(r)}",
        lambda r: f"wake me up at {_time(r)} on {p(r, _DAYS)}",
        lambda r: f"play {p(r, _MUSIC)} in the {p(r, _ROOMS)}",
        lambda r: f"what is the temperature in the {p(r, _ROOMS)}",
        lambda r: f"{p(r, ('start', 'stop', 'pause'))} the {p(r, _APPLIANCES)}",
        lambda r: f"turn the volume {p(r, ('up', 'down'))} in the {p(r, _ROOMS)}",
        lambda r: f"set the volume to {number_words(int(r.integers(1, 11)))}",
        lambda r: f"change the {p(r, _ROOMS)} lights to {p(r, _COLOURS)}",
        lambda r: f"remind me to {p(r, _CHORES)} {p(r, _WHEN)}",
        lambda r: f"remind me to call {p(r, _PEOPLE)} at {_time(r)}",
        # digits and numbers
        lambda r: f"my code is {_digits(r, 4)}",
        lambda r: f"call {_digits(r, int(r.integers(5, 8)))}",
        lambda r: f"the number is {_digits(r, 3)}",
        lambda r: (
            f"add {number_words(int(r.integers(1, 13)))} {p(r, _FOOD)} "
            "to the shopping list"
        ),
        lambda r: f"dinner is ready in {number_words(int(r.integers(2, 60)))} minutes",
        lambda r: f"the bus leaves at {_time(r)}",
        lambda r: f"the parcel costs {number_words(int(r.integers(2, 1000)))} pounds",
        lambda r: f"room {number_words(int(r.integers(100, 1000)))} is on the left",
        # short everyday sentences
        lambda r: f"{p(r, _PEOPLE)} is coming {p(r, _WHEN)}",
        lambda r: f"{p(r, _PEOPLE)} will visit us on {p(r, _DAYS)}",
        lambda r: f"please bring the {p(r, _THINGS)} to the {p(r, _ROOMS)}",
        lambda r: f"i left my {p(r, _THINGS)} in the {p(r, _ROOMS)}",
        lambda r: f"can you find my {p(r, _THINGS)}",
        lambda r: f"the {p(r, _FOOD)} is in the fridge",
        lambda r: f"we need more {p(r, _FOOD)} and {p(r, _FOOD)}",
        lambda r: f"how many {p(r, _FOOD)} do we have",
        lambda r: f"it is {p(r, _WEATHER)} outside {p(r, _WHEN)}",
        lambda r: f"is it {p(r, _WEATHER)} in the {p(r, _ROOMS)}",
        lambda r: f"we will meet on {p(r, _DAYS)} at {_time(r)}",
        lambda r: f"do not forget to {p(r, _CHORES)}",
    ]


_TEMPLATES = _templates()


def random_sentence(rng: np.random.Generator) -> str:
    """Draws one transcript from the grammar, upper case as in LibriSpeech.

    Arguments
    ---------
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    str

    Example
    -------
    >>> text = random_sentence(np.random.default_rng(3))
    >>> text == text.upper() and set(text.split()) <= vocabulary()
    True
    """
    return _TEMPLATES[int(rng.integers(len(_TEMPLATES)))](rng).upper()


def vocabulary() -> set[str]:
    """Every word the grammar can produce (upper case).

    Returns
    -------
    set of str

    Example
    -------
    >>> 250 <= len(vocabulary()) <= 400
    True
    """
    words = set()
    for group in (
        _ONES,
        _TENS[2:],
        _ROOMS,
        _SWITCHABLE,
        _APPLIANCES,
        _OPENABLE,
        _DOORS,
        _MUSIC,
        _COLOURS,
        _DAYS,
        _PEOPLE,
        _FOOD,
        _THINGS,
        _WEATHER,
        _WHEN,
        _CHORES,
    ):
        for phrase in group:
            words.update(phrase.upper().split())
    # the templates' own words: draw each template many times
    rng = np.random.default_rng(0)
    for template in _TEMPLATES:
        for _ in range(30):
            words.update(template(rng).upper().split())
    return words


@dataclasses.dataclass(frozen=True)
class EmbeddedASROptions(GeneratorOptions):
    """Everything that decides the generated ASR corpus (and nothing else).

    Arguments
    ---------
    num_speakers : int
        Number of voices, female and male alternating.
    utterances_per_speaker : int
        Sentences each speaker reads.
    jitter : float
        Scales the per-utterance variation of rate, pitch and level.
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
        The same options always give byte-identical files.
    """

    num_speakers: int = 28
    utterances_per_speaker: int = 100
    jitter: float = 1.0
    noise_prob: float = 0.5
    snr_low: float = 10.0
    snr_high: float = 30.0
    max_silence: float = 0.3
    sample_rate: int = 16000
    seed: int = 1234

    generator_version = GENERATOR_VERSION

    def __post_init__(self):
        self.check_speakers(least=2)
        if not 1 <= self.utterances_per_speaker <= 9999:
            raise ValueError("utterances_per_speaker must be within 1..9999")
        self.check_noise()


def _plan(
    speaker: tuple[str, str, str],
    book: str,
    chapter: str,
    baseline: dict,
    index: int,
    options: EmbeddedASROptions,
) -> Utterance:
    """Draws the text, prosody and recording conditions of one utterance."""
    _, voice, _ = speaker
    rng = np.random.default_rng([options.seed, int(book), index])
    text = random_sentence(rng)
    jit = options.jitter
    prosody = Prosody(
        rate=int(np.clip(baseline["rate"] * rng.normal(1.0, 0.08 * jit), 100, 300)),
        pitch=int(np.clip(baseline["pitch"] + rng.normal(0, 6 * jit), 0, 100)),
        pitch_range=int(np.clip(baseline["range"] + rng.normal(0, 10 * jit), 0, 100)),
        word_gap=int(np.clip(round(rng.normal(0.5, 1.0 * jit)), 0, 10)),
    )
    noisy = rng.random() < options.noise_prob
    recording = Recording(
        gain_db=baseline["level_db"] + float(rng.normal(0, 2.5 * jit)),
        tilt=float(np.clip(rng.normal(0.0, 0.2 * jit), -0.9, 1.5)),
        lead=float(rng.uniform(0.02, options.max_silence)),
        trail=float(rng.uniform(0.02, options.max_silence)),
        noise=NOISE_KINDS[int(rng.integers(len(NOISE_KINDS)))] if noisy else None,
        snr=float(rng.uniform(options.snr_low, options.snr_high)),
        noise_seed=(options.seed, int(book), index, 2),
    )
    uid = f"{book}-{chapter}-{index:04d}"
    request = SynthesisRequest(
        # espeak-ng reads the lower-case sentence more naturally
        text.lower() + ".",
        voice,
        prosody,
        int(rng.integers(2**31)),
    )
    return Utterance(
        request, recording, f"{SUBSET}/{book}/{chapter}/{uid}.flac", {"ID": uid}
    )


@one_writer_per_folder
def generate_embedded_asr_corpus(
    data_folder: str | Path,
    options: EmbeddedASROptions | None = None,
    num_workers: int = 2,
) -> Path:
    """Generates the embedded ASR corpus into ``data_folder`` (idempotent).

    Writes a LibriSpeech-style tree (see the module docstring) and
    ``corpus.json`` (options, speakers, and a reminder that the speech is
    synthetic). A second call with the same options does nothing; other
    options, or a non-empty folder it did not write, raise
    ``FileExistsError`` and nothing is written; an interrupted generation is
    redone.

    Arguments
    ---------
    data_folder : str or Path
        Where to write the corpus.
    options : EmbeddedASROptions, optional
        Generation options; the defaults give 28 speakers (14 female, 14 male) x 100
        sentences.
    num_workers : int
        Synthesis processes run in parallel (does not change the output).

    Returns
    -------
    Path
        The corpus folder.
    """
    options = options or EmbeddedASROptions()
    folder = Path(data_folder)
    opts = options.as_dict()
    outputs = [SUBSET, SPEAKERS_TXT]
    if not begin_generation(
        folder, STAMP, opts, SPEAKERS_TXT, outputs, "embedded ASR corpus"
    ):
        return folder
    table, plans = [], []
    for spk_index, speaker in enumerate(speakers(options.num_speakers)):
        # LibriSpeech-style numeric reader and chapter IDs
        book, chapter = str(101 + spk_index), str(5001 + spk_index)
        baseline = speaker_baseline(options.seed, spk_index)
        plans.append(
            [
                _plan(speaker, book, chapter, baseline, i, options)
                for i in range(options.utterances_per_speaker)
            ]
        )
        name, voice, gender = speaker
        table.append({"spk_id": book, "name": name, "voice": voice, "gender": gender})
    rows = render_utterances(folder, plans, options.sample_rate, num_workers)
    minutes = {}
    for group, spk in zip(plans, table, strict=True):
        lines = []
        for utt in group:
            lines.append(f"{utt.row['ID']} {utt.request.text[:-1].upper()}")
        chapter_dir = (folder / group[0].path).parent
        trans = chapter_dir / f"{spk['spk_id']}-{chapter_dir.name}.trans.txt"
        trans.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for row in rows:
        spk = row["ID"].split("-")[0]
        minutes[spk] = minutes.get(spk, 0.0) + float(row["duration"]) / 60
    speaker_lines = [";ID  |SEX| SUBSET           |MINUTES| NAME"]
    for spk in table:
        sex = "F" if spk["gender"] == "female" else "M"
        speaker_lines.append(
            f"{spk['spk_id']:<5}| {sex} | {SUBSET:<16} | {minutes[spk['spk_id']]:5.2f} "
            f"| espeak-ng {spk['voice']}"
        )
    speakers_txt = "\n".join(speaker_lines) + "\n"
    (folder / SPEAKERS_TXT).write_text(speakers_txt, encoding="utf-8")
    finish_generation(
        folder,
        STAMP,
        opts,
        note=(
            "Synthetic speech from espeak-ng reading sentences from a small "
            "grammar. For demos, tests and smoke runs only: error rates on this "
            "corpus are not error rates on human speech."
        ),
        num_utterances=len(rows),
        vocabulary_size=len(vocabulary()),
        speakers=table,
    )
    logger.info(f"Embedded ASR corpus: {len(rows)} utterances in {folder}")
    return folder


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m speechbrain_lstm_ser.dataio.synthetic.asr``."""
    run_generator_cli(
        __doc__.split("\n\n")[0],
        EmbeddedASROptions,
        generate_embedded_asr_corpus,
        argv,
    )


if __name__ == "__main__":
    main()
