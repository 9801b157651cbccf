"""Miniature copies of the real emotion corpora, for tests.

Each builder writes a corpus with the real directory structure, real file
naming and real annotation formats, but a handful of speakers and tiny
generated audio (0.25 s of a speaker- and emotion-specific tone in noise), so
that preparation, splits and a short training run can be tested without the
corpora, which cannot be downloaded here. ``defects=True`` adds the problems
real copies have (a zero-length file, a labelled utterance without audio, a
stray file with another name). ``emobox_iemocap`` and ``emobox_ravdess``
write EmoBox's partition files (``data/<dataset>/fold_<k>/*.jsonl``) for
these copies: leave-one-session-out (5 folds) and 6 speaker-independent
folds, as EmoBox publishes them.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import soundfile as sf

SECONDS = 0.25


def write_tone(path: Path, sample_rate: int = 16000, channels: int = 1) -> None:
    """A short tone in noise whose pitch depends on the file name."""
    seed = zlib.crc32(path.name.encode())
    rng = np.random.default_rng(seed)
    n = int(SECONDS * sample_rate)
    t = np.arange(n) / sample_rate
    wav = 0.3 * np.sin(2 * np.pi * (120 + seed % 300) * t)
    wav = wav + 0.02 * rng.standard_normal(n)
    if channels > 1:
        wav = np.stack([wav] * channels, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, wav.astype(np.float32), sample_rate, subtype="PCM_16")


# --------------------------------------------------------------- IEMOCAP --
# Per session: (dialog, [(last ID field, code)]); the improvised dialog alone
# has every class of the 4-class set for both speakers.
IEMOCAP_DIALOGS = [
    (
        "impro01",
        [
            ("F000", "neu"),
            ("M000", "neu"),
            ("F001", "hap"),
            ("M001", "exc"),
            ("F002", "sad"),
            ("M002", "sad"),
            ("F003", "ang"),
            ("M003", "ang"),
            ("M004", "fru"),
        ],
    ),
    (
        "script01_1",
        [("F000", "exc"), ("M000", "hap"), ("F001", "xxx"), ("M001", "neu")],
    ),
]


def make_iemocap(root: Path, sessions: int = 5, defects: bool = False) -> Path:
    """``root/IEMOCAP_full_release/Session1..N``; returns the release folder."""
    release = root / "IEMOCAP_full_release"
    for number in range(1, sessions + 1):
        session = release / f"Session{number}"
        for kind, utterances in IEMOCAP_DIALOGS:
            # The letter after SesNN is who wore the markers, not the speaker.
            marker = "F" if kind.startswith("impro") else "M"
            dialog = f"Ses{number:02d}{marker}_{kind}"
            labels = [
                "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]",
                "",
            ]
            transcript = []
            for index, (last, code) in enumerate(utterances):
                uid = f"{dialog}_{last}"
                start, end = 2.0 * index + 0.5, 2.0 * index + 1.9
                # valence, activation, dominance on 1..5, varied per utterance
                vad = f"[{1 + index % 5:.4f}, {2 + index % 4:.4f}, {1.5 + index % 3}]"
                labels += [
                    f"[{start:.4f} - {end:.4f}]\t{uid}\t{code}\t{vad}",
                    "C-E1:\tNeutral;\t()",
                    "A-E1:\tval 3; act 3; dom  3;\t()",
                    "",
                ]
                transcript.append(
                    f"{uid} [{start:08.4f}-{end:08.4f}]: utterance {index} of {dialog}."
                )
                write_tone(session / "sentences" / "wav" / dialog / f"{uid}.wav")
            evaluation = session / "dialog" / "EmoEvaluation"
            evaluation.mkdir(parents=True, exist_ok=True)
            (evaluation / f"{dialog}.txt").write_text("\n".join(labels) + "\n")
            # Per-evaluator files live in sub-folders and must be ignored.
            (evaluation / "Categorical").mkdir(exist_ok=True)
            (evaluation / "Categorical" / f"{dialog}_e1_cat.txt").write_text(
                f"{dialog}_F000 :Neutral state; ()\n"
            )
            transcripts = session / "dialog" / "transcriptions"
            transcripts.mkdir(parents=True, exist_ok=True)
            (transcripts / f"{dialog}.txt").write_text("\n".join(transcript) + "\n")
    if defects:
        wav_dir = release / "Session1" / "sentences" / "wav" / "Ses01F_impro01"
        (wav_dir / "Ses01F_impro01_F002.wav").write_bytes(b"")  # zero-length
        (release / "Session2" / "sentences" / "wav" / "Ses02F_impro01").joinpath(
            "Ses02F_impro01_M003.wav"
        ).unlink()  # labelled, but no audio
    return release


# --------------------------------------------------------------- RAVDESS --
def ravdess_name(emotion, intensity=1, statement=1, repetition=1, actor=1, song=False):
    """A RAVDESS file name (audio-only)."""
    channel = 2 if song else 1
    fields = (3, channel, emotion, intensity, statement, repetition, actor)
    return "-".join(f"{field:02d}" for field in fields) + ".wav"


def make_ravdess(root: Path, actors: int = 8, defects: bool = False) -> Path:
    """Speech (and actor 1-2 song) archives unpacked below ``root``, at 48 kHz."""
    for actor in range(1, actors + 1):
        speech = root / "Audio_Speech_Actors_01-24" / f"Actor_{actor:02d}"
        for emotion in range(1, 9):
            for intensity in (1,) if emotion == 1 else (1, 2):
                name = ravdess_name(emotion, intensity, actor=actor)
                write_tone(speech / name, 48000)
        if actor <= 2:
            song = root / "Audio_Song_Actors_01-24" / f"Actor_{actor:02d}"
            for emotion in (1, 2, 3, 4, 5, 6):  # songs have no disgust / surprise
                write_tone(song / ravdess_name(emotion, actor=actor, song=True), 48000)
    if defects:
        write_tone(root / "Audio_Speech_Actors_01-24" / "Actor_01" / "take1.wav")
    return root


# --------------------------------------------------------------- CREMA-D --
CREMA_GENDERS = {1001: "Male", 1002: "Female", 1003: "Male", 1004: "Female"}
CREMA_GENDERS.update({1005: "Male", 1006: "Female", 1007: "Female", 1008: "Male"})


def make_crema_d(root: Path, defects: bool = False) -> Path:
    """``AudioWAV/`` and ``VideoDemographics.csv`` for 8 actors."""
    for actor in CREMA_GENDERS:
        for code in ("ANG", "DIS", "FEA", "HAP", "NEU", "SAD"):
            for sentence, level in (
                ("DFA", "XX"),
                ("IEO", "HI" if code != "NEU" else "XX"),
            ):
                write_tone(root / "AudioWAV" / f"{actor}_{sentence}_{code}_{level}.wav")
    lines = ["ActorID,Age,Sex,Race,Ethnicity"]
    lines += [f"{a},30,{s},Caucasian,Not Hispanic" for a, s in CREMA_GENDERS.items()]
    (root / "VideoDemographics.csv").write_text("\n".join(lines) + "\n")
    if defects:  # as 1076_MTI_SAD_XX.wav in the real corpus: a header, no samples
        sf.write(root / "AudioWAV" / "1008_MTI_SAD_XX.wav", np.zeros(0), 16000)
    return root


# ----------------------------------------------------------------- EmoDB --
EMODB_SPEAKERS = ("03", "08", "09", "10", "11", "12", "13", "14", "15", "16")


def make_emodb(root: Path, defects: bool = False) -> Path:
    """``wav/`` with the 10 speakers, each text a01 in the 7 emotions."""
    for speaker in EMODB_SPEAKERS:
        for letter in "WLEAFTN":
            write_tone(root / "wav" / f"{speaker}a01{letter}a.wav")
        write_tone(root / "wav" / f"{speaker}b01Wb.wav")
    if defects:
        (root / "wav" / "03a02Wc.wav").write_bytes(b"RIFF\x00\x00not a wav")
    return root


# ---------------------------------------------------------------- folder --
FOLDER_SPEAKERS = {"s1": "female", "s2": "male", "s3": "female", "s4": "male"}
FOLDER_SPEAKERS.update({"s5": "female", "s6": "male"})


def make_folder(root: Path) -> Path:
    """``<emotion>/<speaker>/take<n>.flac`` and a speakers.csv of genders."""
    for emotion in ("angry", "happy", "neutral", "sad"):
        for speaker in FOLDER_SPEAKERS:
            for take in (1, 2):
                write_tone(root / emotion / speaker / f"take{take}.flac", 22050, 2)
    lines = ["spk_id,gender"] + [f"{s},{g}" for s, g in FOLDER_SPEAKERS.items()]
    (root / "speakers.csv").write_text("\n".join(lines) + "\n")
    return root


# ------------------------------------------------------------------- csv --
def make_user_csv(root: Path) -> Path:
    """``audio/*.wav`` and ``manifest.csv`` using all three path forms."""
    lines = ["ID,wav,spk_id,gender,emo,text"]
    forms = ("$data_root/audio/{}.wav", "audio/{}.wav", str(root / "audio/{}.wav"))
    index = 0
    for speaker, gender in FOLDER_SPEAKERS.items():
        for emotion in ("angry", "happy", "neutral", "sad"):
            uid = f"{speaker}_{emotion}"
            write_tone(root / "audio" / f"{uid}.wav")
            wav = forms[index % 3].format(uid)
            text = f"Well, {emotion}." if index else "It costs $5, sadly."
            lines.append(f'{uid},{wav},{speaker},{gender},{emotion},"{text}"')
            index += 1
    (root / "manifest.csv").write_text("\n".join(lines) + "\n")
    return root


# ----------------------------------------------------------- MSP-Podcast --
#: Speaker -> (gender, Split_Set); two files of unknown speakers train too.
MSP_SPEAKERS = {
    "101": ("Female", "Train"),
    "102": ("Male", "Train"),
    "103": ("Female", "Train"),
    "201": ("Male", "Development"),
    "202": ("Female", "Development"),
    "301": ("Female", "Test1"),
    "302": ("Male", "Test1"),
    "401": ("Male", "Test2"),
}
#: EmoClass -> (EmoAct, EmoVal, EmoDom) on 1..7 of the miniature's files.
MSP_RATINGS = {
    "A": (6.0, 2.0, 6.2),
    "S": (2.0, 2.2, 2.4),
    "H": (5.6, 6.2, 4.8),
    "N": (4.0, 4.0, 4.0),
    "C": (4.4, 2.6, 5.0),
    "X": (3.8, 3.6, 3.4),
}


def make_msp_podcast(root: Path) -> Path:
    """``Audios/`` and ``Labels/labels_consensus.csv`` (MSP-Podcast's layout)."""
    lines = ["FileName,EmoClass,EmoAct,EmoVal,EmoDom,SpkrID,Gender,Split_Set"]
    index = 1
    for speaker, (gender, split_set) in MSP_SPEAKERS.items():
        for code, (act, val, dom) in MSP_RATINGS.items():
            name = f"MSP-PODCAST_{int(speaker):04d}_{index:04d}.wav"
            write_tone(root / "Audios" / name)
            lines.append(
                f"{name},{code},{act},{val},{dom},{speaker},{gender},{split_set}"
            )
            index += 1
    for code in ("A", "S", "H", "N"):  # speaker unknown to the corpus
        name = f"MSP-PODCAST_0999_{index:04d}.wav"
        write_tone(root / "Audios" / name)
        lines.append(f"{name},{code},4.0,4.0,4.0,Unknown,Unknown,Train")
        index += 1
    name = f"MSP-PODCAST_0998_{index:04d}.wav"  # Test3: no labels
    write_tone(root / "Audios" / name)
    lines.append(f"{name},,,,,Unknown,Unknown,Test3")
    (root / "Labels").mkdir(parents=True, exist_ok=True)
    (root / "Labels" / "labels_consensus.csv").write_text("\n".join(lines) + "\n")
    return root


# ---------------------------------------------------------------- EmoBox --
EMOBOX_IEMOCAP_LABELS = {
    "neu": "Neutral",
    "hap": "Happy",
    "ang": "Angry",
    "sad": "Sad",
    "exc": "Happy",
}
RAVDESS_EMOBOX_NAMES = (
    "Neutral",
    "Calm",
    "Happy",
    "Sad",
    "Angry",
    "Fearful",
    "Disgust",
    "Surprised",
)


def write_emobox(root: Path, dataset: str, folds: dict, label_map: dict) -> Path:
    """EmoBox's ``data/<dataset>/`` layout for ``{fold: {split: entries}}``."""
    folder = root / dataset
    for number, splits in folds.items():
        for split, entries in splits.items():
            path = folder / f"fold_{number}" / f"{dataset}_{split}_fold_{number}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            lines = [
                json.dumps(
                    {
                        "key": entry["key"],
                        "dataset": dataset,
                        "wav": entry["wav"],
                        "type": "raw",
                        "sample_rate": 16000,
                        "num_frame": 4000.0,
                        "task": "category",
                        "length": SECONDS,
                        "emo": entry["emo"],
                        "channel": 1,
                    }
                )
                for entry in entries
            ]
            path.write_text("\n".join(lines) + "\n")
    (folder / "label_map.json").write_text(json.dumps(label_map, indent=4))
    return folder


def emobox_iemocap(root: Path, sessions: int = 5) -> Path:
    """EmoBox-style leave-one-session-out folds of :func:`make_iemocap`'s corpus."""
    per_session = {}
    for number in range(1, sessions + 1):
        entries = []
        for kind, utterances in IEMOCAP_DIALOGS:
            marker = "F" if kind.startswith("impro") else "M"
            dialog = f"Ses{number:02d}{marker}_{kind}"
            for last, code in utterances:
                if code in EMOBOX_IEMOCAP_LABELS:
                    uid = f"{dialog}_{last}"
                    wav = f"Session{number}/sentences/wav/{dialog}/{uid}.wav"
                    entries.append(
                        {
                            "key": f"iemocap-{uid}",
                            "wav": f"downloads/iemocap/{wav}",
                            "emo": code,
                        }
                    )
        per_session[number] = entries
    folds = {
        k: {
            "train": [e for s, es in per_session.items() if s != k for e in es],
            "test": per_session[k],
        }
        for k in per_session
    }
    return write_emobox(root, "iemocap", folds, EMOBOX_IEMOCAP_LABELS)


def emobox_ravdess(root: Path, actors: int = 12, num_folds: int = 6) -> Path:
    """EmoBox-style speaker-independent folds of :func:`make_ravdess`'s speech."""
    per_actor = {}
    for actor in range(1, actors + 1):
        entries = []
        for emotion in range(1, 9):
            for intensity in (1,) if emotion == 1 else (1, 2):
                name = ravdess_name(emotion, intensity, actor=actor)
                entries.append(
                    {
                        "key": f"ravdess-{name[:-4]}",
                        "wav": "downloads/ravdess/audio/Audio_Speech_Actors_01-24/"
                        f"Actor_{actor:02d}/{name}",
                        "emo": RAVDESS_EMOBOX_NAMES[emotion - 1],
                    }
                )
        per_actor[actor] = entries
    fold_of = {actor: (actor - 1) % num_folds + 1 for actor in per_actor}
    folds = {
        k: {
            "train": [e for a, es in per_actor.items() if fold_of[a] != k for e in es],
            "test": [e for a, es in per_actor.items() if fold_of[a] == k for e in es],
        }
        for k in range(1, num_folds + 1)
    }
    label_map = {name: name for name in RAVDESS_EMOBOX_NAMES}
    label_map.update(Fearful="Fear", Surprised="Surprise")
    return write_emobox(root, "ravdess", folds, label_map)
