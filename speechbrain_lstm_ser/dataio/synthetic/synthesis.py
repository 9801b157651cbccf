"""What every espeak-ng corpus generator shares: voices, rendering, folders.

The embedded corpora (emotion, speech recognition, spoken commands) differ in
*what* their speakers say; everything else is here, written once:

- **speakers**: espeak-ng voice variants of known gender over several English
  accents (:func:`speakers`), each with its own baseline speaking rate, pitch,
  pitch range and level (:func:`speaker_baseline`);
- **rendering**: a speaker's requests are synthesised in one fresh espeak-ng
  process (:func:`~speechbrain_lstm_ser.dataio.synthetic.espeak.synthesize_isolated`),
  then each raw waveform gets its recording conditions (:class:`Recording`:
  voice brightness, level, resampling, leading/trailing silence or a fixed
  clip length, coloured background noise at an SNR) and is written
  atomically (:func:`render_utterances`);
- **options**: every generator's options dataclass is a
  :class:`GeneratorOptions` (its checks of the speaker count and the noise
  settings, the stamped dict with the generator version), and gets one
  command-line flag per field (:func:`run_generator_cli`);
- **folders**: a generated corpus carries a stamp with its options, so a
  second run with the same options does nothing, other options are refused
  instead of overwriting, a folder the generator did not write is never
  touched, and an interrupted run is redone (:func:`begin_generation`, from
  :func:`corpus_folder_state` and :func:`start_generation`; then
  :func:`finish_generation`).

Every random draw comes from a generator seeded by the options, so the same
options give byte-identical files.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from scipy.signal import lfilter

from speechbrain_lstm_ser.dataio.audio import resample, write_audio
from speechbrain_lstm_ser.dataio.stamps import (
    DONE,
    STARTED,
    options_diff,
    read_stamp,
    write_stamp,
)
from speechbrain_lstm_ser.dataio.synthetic.espeak import (
    EspeakSynthesizer,
    SynthesisRequest,
    synthesize_isolated,
)

__all__ = [
    "MAX_SPEAKERS",
    "NOISE_KINDS",
    "GeneratorOptions",
    "Recording",
    "Utterance",
    "begin_generation",
    "colored_noise",
    "corpus_folder_state",
    "finish_generation",
    "one_torch_thread",
    "render",
    "render_utterances",
    "run_generator_cli",
    "speaker_baseline",
    "speakers",
    "start_generation",
]

logger = logging.getLogger(__name__)

#: espeak-ng voice variants that declare a gender. English accents are cycled
#: over the variants so that speakers differ in more than pitch and formants.
FEMALE_VARIANTS = (
    "f1",
    "f2",
    "f3",
    "f4",
    "f5",
    "Alicia",
    "Andrea",
    "Annie",
    "anika",
    "belinda",
    "linda",
    "steph",
    "aunty",
    "grandma",
)
MALE_VARIANTS = (
    "m1",
    "m2",
    "m3",
    "m4",
    "m5",
    "m6",
    "m7",
    "m8",
    "Andy",
    "Denis",
    "Diogo",
    "Henrique",
    "Hugo",
    "Lee",
    "Marco",
    "antonio",
    "michel",
    "miguel",
    "sandro",
    "travis",
    "victor",
)
ACCENTS = ("en", "en-us", "en-gb-x-rp", "en-gb-scotland", "en-029")

#: The most speakers a generated corpus can have (one per voice variant).
MAX_SPEAKERS = len(FEMALE_VARIANTS) + len(MALE_VARIANTS)

#: Background noise colours: flat, 1/f and 1/f^2 power spectra.
NOISE_KINDS = ("white", "pink", "brown")


class GeneratorOptions:
    """What the options of every corpus generator share (a mixin, no fields).

    A generator's options are a frozen dataclass of this class with the
    fields ``num_speakers``, ``noise_prob``, ``snr_low``, ``snr_high``,
    ``sample_rate`` and ``seed`` (and its own), and the class attribute
    :attr:`generator_version`. Its ``__post_init__`` calls the checks below.

    Example
    -------
    >>> @dataclasses.dataclass(frozen=True)
    ... class ToyOptions(GeneratorOptions):
    ...     generator_version = 3
    ...     num_speakers: int = 2
    ...     noise_prob: float = 0.5
    ...     snr_low: float = 5.0
    ...     snr_high: float = 30.0
    ...     def __post_init__(self):
    ...         self.check_speakers(least=2)
    ...         self.check_noise()
    >>> ToyOptions().as_dict()
    {'num_speakers': 2, 'noise_prob': 0.5, 'snr_low': 5.0, 'snr_high': 30.0, \
'generator_version': 3}
    >>> ToyOptions(snr_low=40.0)
    Traceback (most recent call last):
    ...
    ValueError: snr_low must not exceed snr_high
    """

    #: Version of the generation rules; stamped with the options, so a change
    #: of the rules is never mistaken for an existing corpus.
    generator_version: ClassVar[int]

    def check_speakers(self, least: int) -> None:
        """Refuses a ``num_speakers`` outside ``least`` .. :data:`MAX_SPEAKERS`."""
        if not least <= self.num_speakers <= MAX_SPEAKERS:
            raise ValueError(f"num_speakers must be within {least}..{MAX_SPEAKERS}")

    def check_noise(self) -> None:
        """Refuses a ``noise_prob`` outside [0, 1] or an SNR range upside down."""
        if not 0.0 <= self.noise_prob <= 1.0:
            raise ValueError("noise_prob must be within [0, 1]")
        if self.snr_low > self.snr_high:
            raise ValueError("snr_low must not exceed snr_high")

    def as_dict(self) -> dict:
        """The options as a JSON-friendly dict (with the generator version)."""
        return {
            **dataclasses.asdict(self),
            "generator_version": self.generator_version,
        }


def speakers(num_speakers: int) -> list[tuple[str, str, str]]:
    """The speakers of a corpus: ``(spk_id, espeak voice, gender)``.

    Female and male voices alternate, so any count is as balanced as it can
    be; accents cycle independently of the variants.

    Arguments
    ---------
    num_speakers : int
        How many speakers (at most :data:`MAX_SPEAKERS`).

    Returns
    -------
    list of tuple

    Example
    -------
    >>> for speaker in speakers(4):
    ...     print(speaker)
    ('f01', 'en+f1', 'female')
    ('m01', 'en+m1', 'male')
    ('f02', 'en-us+f2', 'female')
    ('m02', 'en-us+m2', 'male')
    """
    if not 1 <= num_speakers <= MAX_SPEAKERS:
        raise ValueError(
            f"num_speakers={num_speakers}: espeak-ng has voices for 1..{MAX_SPEAKERS}"
        )
    result = []
    counts = {"female": 0, "male": 0}
    variants = {"female": FEMALE_VARIANTS, "male": MALE_VARIANTS}
    index = 0
    while len(result) < num_speakers:
        gender = "female" if index % 2 == 0 else "male"
        if counts[gender] >= len(variants[gender]):
            gender = "male" if gender == "female" else "female"
        i = counts[gender]
        counts[gender] += 1
        accent = ACCENTS[i % len(ACCENTS)]
        voice = f"{accent}+{variants[gender][i]}"
        result.append((f"{gender[0]}{i + 1:02d}", voice, gender))
        index += 1
    return result


def speaker_baseline(seed: int, spk_index: int) -> dict[str, float]:
    """A speaker's own speaking rate, pitch, pitch range and level.

    Arguments
    ---------
    seed : int
        The corpus seed.
    spk_index : int
        The speaker's position in :func:`speakers`.

    Returns
    -------
    dict
        ``rate`` (words per minute), ``pitch`` and ``range`` (espeak-ng's
        0-100 scales) and ``level_db`` (relative loudness).

    Example
    -------
    >>> base = speaker_baseline(1234, 0)
    >>> sorted(base), base == speaker_baseline(1234, 0)
    (['level_db', 'pitch', 'range', 'rate'], True)
    """
    rng = np.random.default_rng([seed, spk_index])
    return {
        "rate": float(rng.normal(165.0, 12.0)),
        "pitch": float(rng.normal(50.0, 6.0)),
        "range": float(rng.normal(50.0, 6.0)),
        "level_db": float(rng.normal(0.0, 2.0)),
    }


def colored_noise(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    """White, pink (1/f) or brown (1/f^2) noise with unit RMS.

    Arguments
    ---------
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        Number of samples.
    kind : str
        One of :data:`NOISE_KINDS`.

    Returns
    -------
    numpy.ndarray
        float64 samples.

    Example
    -------
    >>> noise = colored_noise(np.random.default_rng(0), 16000, "pink")
    >>> noise.shape, round(float(np.sqrt(np.mean(noise**2))), 3)
    ((16000,), 1.0)
    """
    if kind not in NOISE_KINDS:
        raise ValueError(f"noise kind {kind!r} is not one of {NOISE_KINDS}")
    white = rng.standard_normal(n)
    if kind == "white":
        noise = white
    else:
        spectrum = np.fft.rfft(white)
        freqs = np.fft.rfftfreq(n)
        freqs[0] = freqs[1] if n > 1 else 1.0
        power = 0.5 if kind == "pink" else 1.0
        noise = np.fft.irfft(spectrum / freqs**power, n)
    return noise / (np.sqrt(np.mean(noise**2)) + 1e-12)


@dataclasses.dataclass(frozen=True)
class Recording:
    """How a synthesised utterance is "recorded": level, silence, noise.

    Arguments
    ---------
    gain_db : float
        Speech level relative to -24 dBFS RMS.
    tilt : float
        Voice brightness: positive adds the high band, negative removes it.
    lead : float
        Leading silence in seconds (ignored when ``clip_duration`` is set).
    trail : float
        Trailing silence in seconds (ignored when ``clip_duration`` is set).
    noise : str or None
        Background noise colour (see :data:`NOISE_KINDS`), or None.
    snr : float
        Speech-to-noise ratio in dB when ``noise`` is set.
    noise_seed : list of int
        Seed of the noise samples.
    clip_duration : float or None
        If set, the utterance is placed in a clip of exactly this many
        seconds (cropped around its centre if longer), as in spoken-command
        corpora.
    position : float
        Where the speech sits in a fixed-length clip: 0 = start, 1 = end.
    """

    gain_db: float = 0.0
    tilt: float = 0.0
    lead: float = 0.1
    trail: float = 0.1
    noise: str | None = None
    snr: float = 20.0
    noise_seed: Sequence[int] = (0,)
    clip_duration: float | None = None
    position: float = 0.5


def render(
    raw: np.ndarray, native_sr: int, recording: Recording, sample_rate: int
) -> np.ndarray:
    """Turns espeak-ng's samples into a recorded utterance.

    Arguments
    ---------
    raw : numpy.ndarray
        int16 samples from espeak-ng.
    native_sr : int
        Their sample rate.
    recording : Recording
        The recording conditions.
    sample_rate : int
        The sample rate of the result.

    Returns
    -------
    numpy.ndarray
        float32 samples in [-1, 1].

    Example
    -------
    >>> raw = (np.sin(np.arange(22050) / 5) * 8000).astype(np.int16)
    >>> wav = render(raw, 22050, Recording(lead=0.5, trail=0.0), 16000)
    >>> len(wav), float(np.abs(wav[:8000]).max())
    (24000, 0.0)
    >>> len(render(raw, 22050, Recording(clip_duration=0.5), 16000))
    8000
    """
    wav = raw.astype(np.float64) / 32768.0
    # Voice brightness: add (tilt > 0) or remove (tilt < 0) the high band.
    wav = wav + recording.tilt * 0.8 * lfilter([1.0, -1.0], [1.0], wav)
    # Loudness: relative to -24 dBFS RMS.
    rms = np.sqrt(np.mean(wav**2)) + 1e-12
    wav = wav * (10 ** ((-24.0 + recording.gain_db) / 20) / rms)
    wav = (
        resample(torch.from_numpy(wav).float(), native_sr, sample_rate).double().numpy()
    )
    if recording.clip_duration is None:
        lead = int(recording.lead * sample_rate)
        trail = int(recording.trail * sample_rate)
    else:
        total = int(round(recording.clip_duration * sample_rate))
        if len(wav) > total:  # keep the middle, where the speech is
            start = (len(wav) - total) // 2
            wav = wav[start : start + total]
        free = total - len(wav)
        lead = int(recording.position * free)
        trail = free - lead
    speech_rms = np.sqrt(np.mean(wav**2)) + 1e-12
    wav = np.concatenate([np.zeros(lead), wav, np.zeros(trail)])
    if recording.noise is not None:  # background noise relative to the speech
        noise_rng = np.random.default_rng(list(recording.noise_seed))
        noise = colored_noise(noise_rng, len(wav), recording.noise)
        wav = wav + noise * speech_rms / 10 ** (recording.snr / 20)
    peak = np.abs(wav).max()
    if peak > 0.99:  # limit rather than clip
        wav = wav * (0.99 / peak)
    return wav.astype(np.float32)


@dataclasses.dataclass
class Utterance:
    """One utterance of a generated corpus, fully decided before synthesis.

    Arguments
    ---------
    request : SynthesisRequest
        Text, voice, prosody and synthesis seed.
    recording : Recording
        Recording conditions.
    path : str
        Where to write it, relative to the corpus folder.
    row : dict
        Manifest fields of the utterance (``duration`` is added on writing).
    """

    request: SynthesisRequest
    recording: Recording
    path: str
    row: dict = dataclasses.field(default_factory=dict)


def render_utterances(
    folder: str | Path,
    utterances: list[list[Utterance]],
    sample_rate: int,
    num_workers: int = 2,
    transform: Callable[[Utterance, np.ndarray, int], np.ndarray] | None = None,
) -> list[dict]:
    """Synthesises, renders and writes utterances, one espeak-ng process per list.

    Arguments
    ---------
    folder : str or Path
        The corpus folder; each ``Utterance.path`` is relative to it.
    utterances : list of list of Utterance
        One list per speaker: a list's audio depends on that list only.
    sample_rate : int
        Sample rate of the written files (the format follows the extension).
    num_workers : int
        Synthesis processes run at once (does not change the output).
    transform : callable, optional
        ``transform(utt, raw, native_sr)``: new int16-scaled samples from
        espeak-ng's, before the recording (the resynthesis domain's vocoder).

    Returns
    -------
    list of dict
        Each utterance's ``row`` with ``duration`` (seconds, 4 decimals)
        added, in the order given.
    """
    folder = Path(folder)
    raws = synthesize_isolated(
        [[u.request for u in group] for group in utterances], num_workers
    )
    native_sr = EspeakSynthesizer.native_sample_rate
    rows = []
    with one_torch_thread():
        for group, group_raws in zip(utterances, raws, strict=True):
            for utt, raw in zip(group, group_raws, strict=True):
                if transform is not None:
                    raw = transform(utt, raw, native_sr)
                wav = render(raw, native_sr, utt.recording, sample_rate)
                path = folder / utt.path
                path.parent.mkdir(parents=True, exist_ok=True)
                write_audio(path, wav, sample_rate)
                rows.append({**utt.row, "duration": f"{len(wav) / sample_rate:.4f}"})
    return rows


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """PyTorch on one thread inside, its thread count restored after.

    Rendering (resampling) one short utterance is fastest on one thread: two
    threads on a busy machine are ~100x slower, and the samples are the same.

    Example
    -------
    >>> before = torch.get_num_threads()
    >>> with one_torch_thread():
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def corpus_folder_state(
    folder: str | Path, stamp: str, options: dict, marker: str
) -> str:
    """Decides what a generator does with ``folder``: generate, skip, or refuse.

    Arguments
    ---------
    folder : str or Path
        The corpus folder.
    stamp : str
        Name of the generator's stamp file in ``folder``.
    options : dict
        The generation options (JSON-serialisable).
    marker : str
        A file the finished corpus always has (e.g. its manifest).

    Returns
    -------
    str
        ``"skip"`` when the folder holds a finished corpus of these options,
        ``"generate"`` when it is new, empty or an interrupted generation of
        these options.

    Raises
    ------
    FileExistsError
        When the folder holds other files (never overwritten) or a corpus of
        other options.

    Example
    -------
    >>> import tempfile
    >>> corpus_folder_state(tempfile.mkdtemp(), "corpus.json", {}, "corpus.csv")
    'generate'
    """
    folder = Path(folder)
    found = read_stamp(folder / stamp)
    if found is None:
        if folder.exists() and any(folder.iterdir()):
            raise FileExistsError(
                f"{folder} is not empty and holds no generated corpus "
                f"({stamp} is missing); refusing to write into it. Point "
                "--data_folder at an empty or new folder (or, for a real "
                "corpus, set --dataset to its kind)."
            )
        return "generate"
    diff = options_diff(found.get("options", {}), options)
    if diff:
        raise FileExistsError(
            f"{folder} holds an embedded corpus generated with other options "
            f"({'; '.join(diff)}); it is not overwritten. Use another "
            f"--data_folder, or delete {folder} to regenerate."
        )
    if found.get("status") == DONE and (folder / marker).is_file():
        return "skip"
    return "generate"


def start_generation(
    folder: str | Path, stamp: str, options: dict, outputs: Sequence[str]
) -> Path:
    """Marks a generation as started and clears what an interrupted one left.

    Only call after :func:`corpus_folder_state` said ``"generate"``: the
    folder is then empty, new, or a generation of these options.

    Arguments
    ---------
    folder : str or Path
        The corpus folder (created if needed).
    stamp : str
        Name of the stamp file.
    options : dict
        The generation options.
    outputs : sequence of str
        Files and folders (relative to ``folder``) the generator writes;
        leftovers of an interrupted run are removed.

    Returns
    -------
    Path
        The folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_stamp(folder / stamp, options, STARTED)
    for name in outputs:
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    return folder


def begin_generation(
    folder: str | Path,
    stamp: str,
    options: dict,
    marker: str,
    outputs: Sequence[str],
    name: str,
) -> bool:
    """Starts a generation into ``folder``, unless it holds the corpus already.

    :func:`corpus_folder_state` decides; to generate, :func:`start_generation`
    marks the folder and clears an interrupted run's leftovers.

    Arguments
    ---------
    folder, stamp, options, marker
        As for :func:`corpus_folder_state`.
    outputs : sequence of str
        As for :func:`start_generation`.
    name : str
        The corpus, for the log (``embedded ASR corpus``).

    Returns
    -------
    bool
        False when ``folder`` holds a finished corpus of these options
        (nothing to do), True when the generator is to write it now.

    Raises
    ------
    FileExistsError
        As :func:`corpus_folder_state`.
    """
    if corpus_folder_state(folder, stamp, options, marker) == "skip":
        logger.info(
            f"{name[0].upper()}{name[1:]} already in {folder}; skipping generation."
        )
        return False
    logger.info(f"Generating the {name} into {folder} ...")
    start_generation(folder, stamp, options, outputs)
    return True


def finish_generation(
    folder: str | Path, stamp: str, options: dict, note: str, **facts
) -> None:
    """Stamps a finished corpus: done, synthetic, what it is for, its facts.

    Arguments
    ---------
    folder : str or Path
        The corpus folder.
    stamp : str
        Name of the stamp file.
    options : dict
        The generation options.
    note : str
        What the corpus is (and is not) good for.
    **facts
        More fields of the stamp (``num_utterances``, ``speakers``, ...).
    """
    write_stamp(Path(folder) / stamp, options, DONE, synthetic=True, note=note, **facts)


def add_option_flags(parser: argparse.ArgumentParser, options_class: type) -> None:
    """Adds one ``--flag`` per field of a generator's options dataclass.

    Arguments
    ---------
    parser : argparse.ArgumentParser
        The parser to extend.
    options_class : type
        A dataclass of generation options with defaults; tuple fields take
        several values (``--emotions neutral sad``).

    Example
    -------
    >>> @dataclasses.dataclass(frozen=True)
    ... class Toy:
    ...     seed: int = 1
    ...     names: tuple = ("a",)
    >>> parser = argparse.ArgumentParser()
    >>> add_option_flags(parser, Toy)
    >>> vars(parser.parse_args(["--seed", "2", "--names", "x", "y"]))
    {'seed': 2, 'names': ['x', 'y']}
    """
    defaults = options_class()
    for field in dataclasses.fields(options_class):
        value = getattr(defaults, field.name)
        if isinstance(value, tuple):
            parser.add_argument(f"--{field.name}", nargs="+", default=list(value))
        else:
            parser.add_argument(f"--{field.name}", type=type(value), default=value)


def run_generator_cli(
    description: str,
    options_class: type,
    generate: Callable,
    argv: list[str] | None = None,
) -> None:
    """The command line of a corpus generator: one flag per option field.

    Arguments
    ---------
    description : str
        The ``--help`` text.
    options_class : type
        A dataclass of generation options with defaults (see
        :func:`add_option_flags`).
    generate : callable
        ``generate(data_folder, options)``; its result is printed.
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("data_folder", help="where to write the corpus")
    add_option_flags(parser, options_class)
    args = vars(parser.parse_args(argv))
    folder = args.pop("data_folder")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(generate(folder, options_class(**args)))
