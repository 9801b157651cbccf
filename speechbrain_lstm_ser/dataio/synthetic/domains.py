r"""Other emotion domains: held-out espeak-ng voices and languages, another synthesizer.

The embedded emotion corpus (:mod:`~speechbrain_lstm_ser.dataio.synthetic.emotion`)
trains and tunes the models. A model that learnt emotion rather than that
corpus should keep its accuracy on speech rendered otherwise. Two domains
render the *same four emotion profiles* (the same prosody draws around each
speaker's baseline, the same sentences, levels, brightness, silences and
background noise, and the same arousal, valence and dominance) with voices
or languages the training corpus never has:

- ``validation`` (**for choosing models**, bullet 2 of issue 23): espeak-ng
  voice variants the embedded corpus of ``train_num_speakers`` speakers does
  not use (with the default 24: ``aunty``, ``grandma`` and nine male
  variants, so mostly male), speaking English accents it does not use
  (``en-gb-x-gbclan``, ``en-gb-x-gbcwmd``, ``en-us-nyc``);
- ``resynthesis`` (**for choosing models**, like ``validation``): the same
  held-out voices and utterances, but espeak-ng speaks every sentence at the
  speaker's own, neutral prosody and an LPC vocoder
  (:mod:`~speechbrain_lstm_ser.processing.vocoder`) then imposes the
  emotion as global changes: the duration stretched by the rate, the mean F0
  scaled by the pitch (1 unit = 1 %), the log-F0 spread by the range; word
  gaps are not rendered. So the emotions' prosody is rendered otherwise than
  by espeak-ng's own rules, which the training corpus teaches; a model that
  learnt those rules rather than the utterance-level relations loses here.
  Its renderer lives above the data layer, beside the vocoder
  (:mod:`~speechbrain_lstm_ser.processing.resynthesis`).
- ``flite`` (**test only**: never train or tune on it): CMU Flite, a
  different synthesizer (diphone and statistical-parametric voices), with
  its voices ``kal`` (8 kHz diphone, male), ``kal16`` (male), ``awb``
  (Scottish male) and ``slt`` (female). Emotion prosody maps onto Flite's
  controls: the speaking rate onto ``duration_stretch``, espeak-ng's pitch
  (0-100, 50 = the voice's own) onto ``int_f0_target_mean`` (1 unit = 1 % of
  the voice's mean F0), the pitch range onto ``int_f0_target_stddev``;
  Flite has no pause-between-words control, so the profiles' word gaps are
  not rendered. (``rms`` is left out: it ignores the F0 controls.)
- ``languages`` (**test only**: never train or tune on it): the training
  corpus's own espeak-ng voice variants (the first four female and four
  male ones) speaking **German, Spanish, French and Italian**, one woman
  and one man per language, the sentences translated
  (:mod:`~speechbrain_lstm_ser.dataio.synthetic.languages`). Only the
  language changes (phonemes, stress, espeak-ng's intonation rules), so it
  measures whether the model learnt the emotions' prosody or English
  words' contours.

Flite comes from Debian (``apt-get install flite``; PyPI ships no Flite
binary); without it :func:`generate_domain_corpus` says so in one line.

**What they are not**: human speech. All are synthetic, with rule-based
"emotions"; accuracy on them measures transfer between synthesizers and
voices, not accuracy on human emotional speech.

Generated like the embedded corpus (idempotent, stamped, never writing
into a folder it did not make)::

    python -m speechbrain_lstm_ser.dataio.synthetic.domains validation \
        data/emotion_validation
    python -m speechbrain_lstm_ser.processing.resynthesis data/emotion_resynthesis
    python -m speechbrain_lstm_ser.dataio.synthetic.domains flite data/emotion_flite
    python -m speechbrain_lstm_ser.dataio.synthetic.domains languages \
        data/emotion_languages

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import soundfile as sf

from speechbrain_lstm_ser.dataio.folder_lock import one_writer_per_folder
from speechbrain_lstm_ser.dataio.manifest import (
    EMOTION_COLUMNS,
    relative_to_data_root,
    write_manifest,
)
from speechbrain_lstm_ser.dataio.synthetic.emotion import (
    EMOTION_PROFILES,
    EMOTIONS,
    SENTENCES,
    add_dimensions,
    plan_speaker,
)
from speechbrain_lstm_ser.dataio.synthetic.languages import (
    LANGUAGE_NAMES,
    LANGUAGE_SENTENCES,
)
from speechbrain_lstm_ser.dataio.synthetic.synthesis import (
    ACCENTS,
    FEMALE_VARIANTS,
    MALE_VARIANTS,
    GeneratorOptions,
    Utterance,
    begin_generation,
    finish_generation,
    one_torch_thread,
    render,
    render_utterances,
    run_generator_cli,
    speakers,
)

logger = logging.getLogger(__name__)

__all__ = [
    "DOMAINS",
    "FLITE_VOICES",
    "DomainOptions",
    "FliteMissingError",
    "flite_command",
    "generate_domain_corpus",
    "heldout_speakers",
    "language_speakers",
    "relative_f0",
    "render_flite",
]

#: The domains, and what each may be used for.
DOMAINS = {
    "validation": "validation (model selection); never training",
    "resynthesis": "validation (model selection); never training",
    "flite": "test only; never training, never tuning",
    "languages": "test only; never training, never tuning",
}
#: English accents of espeak-ng the embedded corpus never uses.
HELDOUT_ACCENTS = ("en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc")
#: Flite voices: name -> (gender, mean F0 in Hz we set as the voice's own).
FLITE_VOICES = {
    "kal": ("male", 95.0),
    "kal16": ("male", 95.0),
    "awb": ("male", 130.0),
    "slt": ("female", 170.0),
}
#: Flite's pitch standard deviation, as a share of the mean F0, at range 50.
FLITE_F0_SPREAD = 0.15
#: The speaking rate (words per minute) Flite's ``duration_stretch=1`` means.
FLITE_RATE = 175.0

CORPUS_CSV = "corpus.csv"
STAMP = "corpus.json"
#: Version 2 adds the embedded corpus's dimensions to ``corpus.csv``; a
#: version 1 corpus (same audio) gets them added in place.
GENERATOR_VERSION = 2
NO_DIMENSIONS_VERSION = 1


class FliteMissingError(RuntimeError):
    """Raised when the ``flite`` program is not installed."""


def heldout_speakers(train_num_speakers: int = 24) -> list[tuple[str, str, str]]:
    """espeak-ng speakers the embedded corpus of that size never has.

    Arguments
    ---------
    train_num_speakers : int
        ``num_speakers`` of the training corpus.

    Returns
    -------
    list of tuple
        ``(spk_id, voice, gender)``, the variants left over, on the held-out
        accents.

    Example
    -------
    >>> [s[:2] for s in heldout_speakers(24)[:3]]
    [('vf13', 'en-gb-x-gbclan+aunty'), ('vf14', 'en-gb-x-gbcwmd+grandma'), \
('vm13', 'en-us-nyc+Hugo')]
    """
    used = {voice.split("+", 1)[1] for _, voice, _ in speakers(train_num_speakers)}
    result = []
    for gender, variants in (("female", FEMALE_VARIANTS), ("male", MALE_VARIANTS)):
        for i, variant in enumerate(variants):
            if variant in used:
                continue
            accent = HELDOUT_ACCENTS[len(result) % len(HELDOUT_ACCENTS)]
            result.append((f"v{gender[0]}{i + 1:02d}", f"{accent}+{variant}", gender))
    assert not set(ACCENTS) & set(HELDOUT_ACCENTS)
    return result


def language_speakers(train_num_speakers: int = 24) -> list[tuple[str, str, str]]:
    """The training corpus's voices, each speaking a language it never speaks.

    One female and one male variant per language of
    :data:`~speechbrain_lstm_ser.dataio.synthetic.languages.LANGUAGE_SENTENCES`,
    the first ones the training corpus uses.

    Arguments
    ---------
    train_num_speakers : int
        ``num_speakers`` of the training corpus (its variants are reused).

    Returns
    -------
    list of tuple
        ``(spk_id, voice, gender)``.

    Example
    -------
    >>> [s[:2] for s in language_speakers(24)[:3]]
    [('de_f1', 'de+f1'), ('de_m1', 'de+m1'), ('es_f2', 'es+f2')]
    """
    used = {"female": [], "male": []}
    for _, voice, gender in speakers(train_num_speakers):
        used[gender].append(voice.split("+", 1)[1])
    result = []
    for i, lang in enumerate(LANGUAGE_SENTENCES):
        for gender in ("female", "male"):
            if i < len(used[gender]):
                variant = used[gender][i]
                result.append((f"{lang}_{variant}", f"{lang}+{variant}", gender))
    return result


def flite_command() -> str:
    """The path of ``flite``, or one line saying how to install it.

    Raises
    ------
    FliteMissingError
        When it is not on ``PATH``.
    """
    found = shutil.which("flite")
    if found is None:
        raise FliteMissingError(
            "the flite test-only domain needs CMU Flite: install Debian's "
            "package 'flite' (apt-get install flite)"
        )
    return found


@dataclasses.dataclass(frozen=True)
class DomainOptions(GeneratorOptions):
    """Everything that decides a domain corpus.

    Arguments
    ---------
    domain : str
        ``validation``, ``resynthesis``, ``flite`` or ``languages``
        (:data:`DOMAINS`).
    train_num_speakers : int
        ``num_speakers`` of the training corpus (``validation`` uses the
        espeak-ng variants it leaves over, ``languages`` the ones it uses).
    num_speakers : int
        Speakers of the domain (0: every one available).
    utterances_per_emotion : int
        Sentences each speaker says in each emotion.
    noise_prob, snr_low, snr_high : float
        Background noise, as in the embedded corpus.
    max_silence : float
        Leading and trailing silence drawn up to this many seconds.
    sample_rate : int
        Of the written files.
    seed : int
        Seed of every draw (another than the training corpus's).
    """

    domain: str = "validation"
    train_num_speakers: int = 24
    num_speakers: int = 0
    utterances_per_emotion: int = 20
    noise_prob: float = 0.5
    snr_low: float = 5.0
    snr_high: float = 30.0
    max_silence: float = 0.3
    sample_rate: int = 16000
    seed: int = 4321
    jitter: float = 1.0

    generator_version = GENERATOR_VERSION

    def __post_init__(self):
        if self.domain not in DOMAINS:
            raise ValueError(f"domain {self.domain!r} is not one of {list(DOMAINS)}")
        if not 0 <= self.num_speakers <= len(self.voices()):
            raise ValueError(
                f"num_speakers must be within 0..{len(self.voices())} for the "
                f"{self.domain} domain (0: all)"
            )
        if not self.voices():
            raise ValueError(
                f"a training corpus of {self.train_num_speakers} speakers leaves "
                "no espeak-ng voice over for the validation domain"
            )
        most = min(len(self.sentences(voice)) for _, voice, _ in self.voices())
        if not 1 <= self.utterances_per_emotion <= most:
            raise ValueError(
                f"utterances_per_emotion must be within 1..{most} for the "
                f"{self.domain} domain"
            )
        self.check_noise()

    def voices(self) -> list[tuple[str, str, str]]:
        """Every speaker available to the domain: ``(spk_id, voice, gender)``."""
        if self.domain in ("validation", "resynthesis"):
            return heldout_speakers(self.train_num_speakers)
        if self.domain == "languages":
            return language_speakers(self.train_num_speakers)
        return [(f"fl_{v}", v, g) for v, (g, _) in FLITE_VOICES.items()]

    def sentences(self, voice: str) -> tuple[str, ...]:
        """What a voice of the domain says: English, or its held-out language."""
        if self.domain == "languages":
            return LANGUAGE_SENTENCES[voice.split("+", 1)[0]]
        return SENTENCES

    def speakers(self) -> list[tuple[str, str, str]]:
        """The domain's speakers."""
        voices = self.voices()
        return voices[: self.num_speakers] if self.num_speakers else voices


def _plans(options: DomainOptions) -> list[list[Utterance]]:
    """Every utterance, drawn as the embedded corpus draws them."""
    return [
        plan_speaker(
            options, spk_index, speaker, EMOTIONS, options.sentences(speaker[1])
        )
        for spk_index, speaker in enumerate(options.speakers())
    ]


def relative_f0(pitch: float) -> float:
    """espeak-ng's 0-100 pitch as a multiple of the voice's own mean F0.

    One unit is 1 % of the voice's F0, 50 the voice itself: how the other
    renderers (Flite's ``int_f0_target_mean``, the resynthesis domain's
    vocoder) read the profiles' pitch.

    Example
    -------
    >>> relative_f0(60), relative_f0(50)
    (1.1, 1.0)
    """
    return 1.0 + (pitch - 50.0) / 100.0


def flite_settings(voice: str, rate: float, pitch: float, pitch_range: float) -> list:
    """Flite's command-line settings for espeak-ng's prosody values.

    Arguments
    ---------
    voice : str
        A key of :data:`FLITE_VOICES`.
    rate : float
        Words per minute.
    pitch : float
        espeak-ng's 0-100 pitch (50: the voice's own F0).
    pitch_range : float
        espeak-ng's 0-100 range (50: the voice's own spread).

    Returns
    -------
    list of str

    Example
    -------
    >>> flite_settings("slt", 175, 60, 25)
    ['-voice', 'slt', '--setf', 'duration_stretch=1.0000', '--setf', \
'int_f0_target_mean=187.00', '--setf', 'int_f0_target_stddev=12.75']
    """
    mean = FLITE_VOICES[voice][1] * relative_f0(pitch)
    spread = FLITE_VOICES[voice][1] * FLITE_F0_SPREAD * pitch_range / 50.0
    return [
        "-voice",
        voice,
        "--setf",
        f"duration_stretch={FLITE_RATE / rate:.4f}",
        "--setf",
        f"int_f0_target_mean={mean:.2f}",
        "--setf",
        f"int_f0_target_stddev={spread:.2f}",
    ]


def render_flite(
    folder: Path, plans: list[list[Utterance]], sample_rate: int
) -> list[dict]:
    """Synthesises each utterance with Flite, then records it as espeak-ng's.

    Arguments
    ---------
    folder : Path
        Where each ``utt.path`` is written.
    plans : list of list of Utterance
        Per voice, its utterances (``request.voice`` a :data:`FLITE_VOICES` key).
    sample_rate : int
        Of the written files.

    Returns
    -------
    list of dict
        Each utterance's ``row`` with its ``duration``.
    """
    flite = flite_command()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, one_torch_thread():
        out = Path(tmp) / "utt.wav"
        for group in plans:
            for utt in group:
                p = utt.request.prosody
                proc = subprocess.run(
                    [
                        flite,
                        *flite_settings(
                            utt.request.voice, p.rate, p.pitch, p.pitch_range
                        ),
                        "-t",
                        utt.request.text,
                        "-o",
                        str(out),
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if proc.returncode != 0 or not out.is_file():
                    raise RuntimeError(
                        f"flite failed on {utt.row['ID']}: {proc.stderr.strip()}"
                    )
                raw, native_sr = sf.read(out, dtype="int16")
                wav = render(raw, native_sr, utt.recording, sample_rate)
                path = folder / utt.path
                path.parent.mkdir(parents=True, exist_ok=True)
                sf.write(path, wav, sample_rate, subtype="PCM_16")
                rows.append({**utt.row, "duration": f"{len(wav) / sample_rate:.4f}"})
    return rows


@one_writer_per_folder
def generate_domain_corpus(
    data_folder: str | Path,
    options: DomainOptions | None = None,
    num_workers: int = 2,
    render: Callable[[Path, DomainOptions, list[list[Utterance]]], list[dict]]
    | None = None,
) -> Path:
    """Generates a domain corpus into ``data_folder`` (idempotent).

    Writes ``wavs/<spk_id>/<ID>.wav``, ``corpus.csv`` (the embedded corpus's
    columns, its dimensions included; every utterance of the domain is for
    evaluation) and
    ``corpus.json`` (the options, the speakers, the domain's use).

    Arguments
    ---------
    data_folder : str or Path
        Where to write it.
    options : DomainOptions, optional
        The domain and its options.
    num_workers : int
        espeak-ng processes at once (validation domain).
    render : callable, optional
        ``render(folder, options, plans) -> rows``: the renderer of a domain
        made above the data layer (``resynthesis``: its vocoder's, passed by
        :mod:`~speechbrain_lstm_ser.processing.resynthesis`).

    Returns
    -------
    Path
        The path of ``corpus.csv``.

    Raises
    ------
    FliteMissingError
        For the flite domain, when Flite is not installed.
    ValueError
        For the resynthesis domain without its renderer.
    """
    options = options or DomainOptions()
    if options.domain == "flite":
        flite_command()  # fail before touching the folder
    if options.domain == "resynthesis" and render is None:
        raise ValueError(
            "the resynthesis domain is rendered by a vocoder: generate it with "
            "python -m speechbrain_lstm_ser.processing.resynthesis FOLDER"
        )
    folder = Path(data_folder)
    opts = options.as_dict()
    name = f"{options.domain} emotion domain"
    plans = _plans(options)
    if add_dimensions(
        folder, opts, NO_DIMENSIONS_VERSION, plans, STAMP, CORPUS_CSV
    ) or not begin_generation(folder, STAMP, opts, CORPUS_CSV, ["wavs"], name):
        return folder / CORPUS_CSV
    if render is not None:
        rows = render(folder, options, plans)
    elif options.domain == "flite":
        rows = render_flite(folder, plans, options.sample_rate)
    else:
        rows = render_utterances(folder, plans, options.sample_rate, num_workers)
    for row, utt in zip(rows, (u for g in plans for u in g), strict=True):
        row["wav"] = relative_to_data_root(folder / utt.path, folder)
    write_manifest(folder / CORPUS_CSV, rows, EMOTION_COLUMNS)
    synthesizer = {
        "flite": "CMU Flite",
        "resynthesis": "espeak-ng at neutral prosody, emotion by an LPC vocoder",
    }.get(options.domain, "espeak-ng")
    if options.domain == "languages":
        *first, last = LANGUAGE_NAMES.values()
        synthesizer += f", {', '.join(first)} and {last}"
    finish_generation(
        folder,
        STAMP,
        opts,
        note=(
            f"Synthetic speech ({synthesizer}) with the embedded corpus's "
            f"rule-based emotional prosody; use: {DOMAINS[options.domain]}. "
            "Not human speech."
        ),
        num_utterances=len(rows),
        use=DOMAINS[options.domain],
        speakers=[
            {"spk_id": s, "voice": v, "gender": g} for s, v, g in options.speakers()
        ],
        emotions=list(EMOTION_PROFILES),
    )
    logger.info(f"{name}: {len(rows)} utterances in {folder}")
    return folder / CORPUS_CSV


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m ...synthetic.domains DOMAIN FOLDER [options]``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in DOMAINS:
        print(
            f"usage: python -m {__name__} {{{','.join(DOMAINS)}}} FOLDER [options]",
            file=sys.stderr,
        )
        sys.exit(2)
    domain = argv.pop(0)

    try:
        run_generator_cli(
            __doc__.split("\n\n")[0],
            DomainOptions,
            lambda folder, opts: generate_domain_corpus(
                folder, dataclasses.replace(opts, domain=domain)
            ),
            argv + ["--domain", domain],
        )
    except (FliteMissingError, FileExistsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
