r"""A test-only domain for spoken commands: CMU Flite voices saying the words.

The spoken-command models train, and are chosen, on the embedded espeak-ng
corpus (:mod:`~speechbrain_lstm_ser.dataio.synthetic.commands`); corrupted
copies of its test split measure noise and channels, not a voice or a
synthesizer the model never heard. This domain does: **CMU Flite**, the
synthesizer of the emotion ``flite`` domain
(:mod:`~speechbrain_lstm_ser.dataio.synthetic.domains`), with its four voices
``kal`` (8 kHz diphone, male), ``kal16`` (male), ``awb`` (Scottish male) and
``slt`` (female):

- each voice says each of the ten command words ``repetitions`` times, and
  ``auxiliary_per_speaker`` of the corpus's other words once each (class
  ``unknown``); every clip's prosody (rate, pitch, pitch range around the
  voice's own baseline) and recording (level, brightness, background noise at
  5-30 dB on half the clips, a one-second clip with the word at a random
  position) are drawn as the embedded corpus draws its clips, the prosody
  mapped onto Flite's controls by
  :func:`~speechbrain_lstm_ser.dataio.synthetic.domains.flite_settings` and
  the recording rendered by the same
  :func:`~speechbrain_lstm_ser.dataio.synthetic.synthesis.render`;
- ``silence_clips`` one-second clips of background noise (class
  ``silence``, word ``_silence_``, ``spk_id`` ``noise_<kind>``), cut from
  new recordings of the corpus's four noises (white, pink, brown, mains
  hum; drawn with this domain's seed). They are there because UA averages
  the recall of the classes *present*: without them the domain's UA would
  average 11 classes and the test split's 12, and its change from the clean
  test UA would mix a change of class set with the change of synthesizer.
  They measure no Flite speech: read the speech classes' recalls for that.

It writes ``wavs/<spk_id>/<ID>.wav``, ``corpus.csv`` (columns ``ID,
duration, wav, spk_id, gender, command, word``; ``wav`` under
``$data_root``, the folder) and ``corpus.json`` (options, voices, use), the
layout of :func:`~speechbrain_lstm_ser.evaluation.transfer.read_domain`.

**Test only**: never train on it, never tune on it, never choose a model or a
setting by it. **What it is not**: human speech. Accuracy on it measures the
transfer from one synthesizer to another, not accuracy on real recordings.

Flite comes from Debian (``apt-get install flite``); without it the
generator stops with one line (:class:`FliteMissingError`) before touching
the folder. Generated like the other corpora (deterministic, idempotent,
stamped, never writing into a folder it did not make), one flag per field of
:class:`CommandDomainOptions`, then evaluated::

    python -m speechbrain_lstm_ser.dataio.synthetic.command_domains \
        data/commands_flite
    sb-lstm-ser robustness --model results/commands_lstm/1986/model \
        --manifest results/commands_lstm/1986/manifests/test.csv \
        --data_folder data/embedded_commands --label_column command \
        --domain data/commands_flite

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from pathlib import Path

import numpy as np

from speechbrain_lstm_ser.dataio.audio import write_audio
from speechbrain_lstm_ser.dataio.folder_lock import one_writer_per_folder
from speechbrain_lstm_ser.dataio.manifest import (
    COMMANDS_COLUMNS,
    SILENCE_WORD,
    relative_to_data_root,
    write_manifest,
)

# The embedded corpus's own draws, shared rather than copied: a clip of this
# domain is planned and its noise made exactly as the training corpus's are.
from speechbrain_lstm_ser.dataio.synthetic.commands import (
    AUXILIARY_WORDS,
    COMMAND_WORDS,
    NOISE_RECORDINGS,
    noise_recording,
    plan_clip,
    words_said,
)
from speechbrain_lstm_ser.dataio.synthetic.domains import (
    CORPUS_CSV,
    FLITE_VOICES,
    STAMP,
    DomainOptions,
    FliteMissingError,
    flite_command,
    render_flite,
)
from speechbrain_lstm_ser.dataio.synthetic.synthesis import (
    GeneratorOptions,
    Utterance,
    begin_generation,
    finish_generation,
    run_generator_cli,
    speaker_baseline,
)

logger = logging.getLogger(__name__)

__all__ = [
    "DOMAIN_COLUMNS",
    "USE",
    "CommandDomainOptions",
    "FliteMissingError",
    "generate_command_domain",
    "plan_command_domain",
]

#: Version of the generation rules (part of the stamped options).
GENERATOR_VERSION = 1
#: What the domain may be used for.
USE = "test only; never training, never tuning, never choosing"
#: Columns of ``corpus.csv``: a commands manifest's, without ``start`` /
#: ``stop`` (every clip is a whole file).
DOMAIN_COLUMNS = tuple(c for c in COMMANDS_COLUMNS if c not in ("start", "stop"))
WAVS = "wavs"


@dataclasses.dataclass(frozen=True)
class CommandDomainOptions(GeneratorOptions):
    """Everything that decides the Flite commands domain.

    Arguments
    ---------
    repetitions : int
        How many times each voice says each command word.
    auxiliary_per_speaker : int
        How many of the other words (``AUXILIARY_WORDS``) each voice says,
        once each (class ``unknown_label``).
    silence_clips : int
        One-second background-noise clips (class ``silence_label``), spread
        over the four noises; 0 for none.
    unknown_label : str
        Class of the other words (the test split's, ``unknown`` by default).
    silence_label : str
        Class of the noise clips (the test split's, ``silence`` by default).
    noise_prob : float
        Probability that a clip gets background noise.
    snr_low, snr_high : float
        Range of that noise's SNR, in dB.
    sample_rate : int
        Of the written files.
    seed : int
        Seed of every draw (another than the training corpus's 1234).

    Example
    -------
    >>> options = CommandDomainOptions(repetitions=1, auxiliary_per_speaker=2)
    >>> options.num_clips()  # 4 voices x (10 commands + 2 other words) + 16
    64
    >>> CommandDomainOptions().num_clips()
    152
    """

    repetitions: int = 3
    auxiliary_per_speaker: int = 4
    silence_clips: int = 16
    unknown_label: str = "unknown"
    silence_label: str = "silence"
    noise_prob: float = 0.5
    snr_low: float = 5.0
    snr_high: float = 30.0
    sample_rate: int = 16000
    seed: int = 4321

    generator_version = GENERATOR_VERSION

    def __post_init__(self):
        if self.repetitions < 1:
            raise ValueError("repetitions must be >= 1")
        if not 0 <= self.auxiliary_per_speaker <= len(AUXILIARY_WORDS):
            raise ValueError(
                f"auxiliary_per_speaker must be within 0..{len(AUXILIARY_WORDS)}"
            )
        if self.silence_clips < 0:
            raise ValueError("silence_clips must be >= 0")
        if not self.unknown_label or not self.silence_label:
            raise ValueError("unknown_label and silence_label must be non-empty")
        self.check_noise()

    def num_clips(self) -> int:
        """Clips of the domain: speech of every voice, then the noise clips."""
        per_voice = len(COMMAND_WORDS) * self.repetitions + self.auxiliary_per_speaker
        return len(FLITE_VOICES) * per_voice + self.silence_clips


def plan_command_domain(options: CommandDomainOptions) -> list[list[Utterance]]:
    """Every spoken clip, one list per Flite voice, drawn before synthesis.

    Arguments
    ---------
    options : CommandDomainOptions
        The domain's options.

    Returns
    -------
    list of list of Utterance
        Per voice (``kal, kal16, awb, slt``): the command words, each
        ``repetitions`` times, then its other words; each ``row`` holds
        ``ID, spk_id, gender, command, word``.

    Example
    -------
    >>> plans = plan_command_domain(CommandDomainOptions(repetitions=1))
    >>> [len(p) for p in plans]
    [14, 14, 14, 14]
    >>> first = plans[0][0]
    >>> first.path, first.request.voice, first.recording.clip_duration
    ('wavs/fl_kal/fl_kal_yes_0.wav', 'kal', 1.0)
    >>> sorted({u.row["command"] for u in plans[0][10:]})
    ['unknown']
    """
    plans = []
    flite = DomainOptions(domain="flite")
    for spk_index, (spk_id, voice, gender) in enumerate(flite.speakers()):
        baseline = speaker_baseline(options.seed, spk_index)
        group = []
        for i, (word, take) in enumerate(words_said(options, spk_index)):
            key = [options.seed, spk_index, 1 + i]
            drawn = plan_clip(voice, spk_id, word, take, baseline, options, key)
            utt_id = f"{spk_id}_{word}_{take}"
            command = word if word in COMMAND_WORDS else options.unknown_label
            row = {"ID": utt_id, "spk_id": spk_id, "gender": gender}
            group.append(
                dataclasses.replace(
                    drawn,
                    path=f"{WAVS}/{spk_id}/{utt_id}.wav",
                    row={**row, "command": command, "word": word},
                )
            )
        plans.append(group)
    return plans


def _silence_clips(options: CommandDomainOptions) -> list[tuple[dict, np.ndarray]]:
    """One-second cuts of new noise recordings, the kinds taken in turn."""
    kinds = [
        NOISE_RECORDINGS[i % len(NOISE_RECORDINGS)]
        for i in range(options.silence_clips)
    ]
    second = options.sample_rate
    clips = []
    for kind in NOISE_RECORDINGS:
        count = kinds.count(kind)
        if not count:
            continue
        noise = noise_recording(kind, float(count), second, options.seed)
        for n in range(count):
            utt_id = f"silence_{kind}_{n:02d}"
            row = {
                "ID": utt_id,
                "duration": "1.0000",
                "spk_id": f"noise_{kind}",
                "gender": "unknown",
                "command": options.silence_label,
                "word": SILENCE_WORD,
            }
            clips.append((row, noise[n * second : (n + 1) * second]))
    return clips


@one_writer_per_folder
def generate_command_domain(
    data_folder: str | Path, options: CommandDomainOptions | None = None
) -> Path:
    """Generates the Flite commands domain into ``data_folder`` (idempotent).

    Writes ``wavs/<spk_id>/<ID>.wav``, ``corpus.csv`` (:data:`DOMAIN_COLUMNS`;
    every clip is for testing) and ``corpus.json`` (the options, the voices,
    the domain's use: test only). A second call with the same options does
    nothing; other options, or a non-empty folder it did not write, raise
    ``FileExistsError`` and nothing is written.

    Arguments
    ---------
    data_folder : str or Path
        Where to write it.
    options : CommandDomainOptions, optional
        Generation options; the defaults give 4 voices x (10 commands x 3 + 4
        other words) + 16 noise clips = 152 clips.

    Returns
    -------
    Path
        The folder (what ``sb-lstm-ser robustness --domain`` takes).

    Raises
    ------
    FliteMissingError
        When Flite is not installed (before the folder is touched).
    FileExistsError
        When the folder holds other files or a domain of other options.
    """
    options = options or CommandDomainOptions()
    flite_command()  # fail before touching the folder
    folder = Path(data_folder)
    opts = options.as_dict()
    name = "Flite commands domain (test only)"
    if not begin_generation(folder, STAMP, opts, CORPUS_CSV, [WAVS, CORPUS_CSV], name):
        return folder
    plans = plan_command_domain(options)
    rows = render_flite(folder, plans, options.sample_rate)
    for row, utt in zip(rows, (u for g in plans for u in g), strict=True):
        row["wav"] = relative_to_data_root(folder / utt.path, folder)
    for row, wav in _silence_clips(options):
        path = folder / WAVS / row["spk_id"] / f"{row['ID']}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_audio(path, wav, options.sample_rate)
        rows.append({**row, "wav": relative_to_data_root(path, folder)})
    write_manifest(folder / CORPUS_CSV, rows, DOMAIN_COLUMNS)
    finish_generation(
        folder,
        STAMP,
        opts,
        note=(
            "Synthetic speech (CMU Flite) saying the ten command words and other "
            "words in one-second clips, drawn like the embedded espeak-ng command "
            "corpus, plus one-second background-noise clips (silence). Use: "
            f"{USE}. Not human speech: accuracy here measures transfer to "
            "another synthesizer."
        ),
        num_utterances=len(rows),
        use=USE,
        speakers=[
            {"spk_id": s, "voice": v, "gender": g}
            for s, v, g in DomainOptions(domain="flite").speakers()
        ],
        classes={
            c: sum(r["command"] == c for r in rows)
            for c in dict.fromkeys(r["command"] for r in rows)
        },
    )
    logger.info(f"{name}: {len(rows)} clips in {folder}")
    return folder


def main(argv: list[str] | None = None) -> None:
    """``python -m speechbrain_lstm_ser.dataio.synthetic.command_domains DIR``."""
    try:
        run_generator_cli(
            __doc__.split("\n\n")[0],
            CommandDomainOptions,
            generate_command_domain,
            argv,
        )
    except (FliteMissingError, FileExistsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
