"""Every corpus module on a miniature of its corpus (tests/miniature_corpora.py)."""

import os
from pathlib import Path

import pytest
from hyperpyyaml import load_hyperpyyaml
from miniature_corpora import (
    CREMA_GENDERS,
    EMODB_SPEAKERS,
    make_crema_d,
    make_emodb,
    make_folder,
    make_iemocap,
    make_msp_podcast,
    make_ravdess,
    make_user_csv,
    write_tone,
)
from preparations import prepare_emotion
from recipe_runner import load_recipe

from speechbrain_lstm_ser.dataio.audio import audio_info
from speechbrain_lstm_ser.dataio.corpora.base import CorpusLayoutError
from speechbrain_lstm_ser.dataio.corpora.crema_d import read_crema_d
from speechbrain_lstm_ser.dataio.corpora.emodb import read_emodb
from speechbrain_lstm_ser.dataio.corpora.iemocap import read_iemocap
from speechbrain_lstm_ser.dataio.corpora.ravdess import read_ravdess
from speechbrain_lstm_ser.dataio.corpora.user_csv import read_user_csv
from speechbrain_lstm_ser.dataio.corpora.user_folder import read_user_folder
from speechbrain_lstm_ser.dataio.manifest import (
    EMOTION_COLUMNS,
    ManifestError,
    read_manifest,
)
from speechbrain_lstm_ser.dataio.prepare_emotion import READERS
from speechbrain_lstm_ser.dataio.stamps import read_stamp

ROOT = Path(__file__).resolve().parents[2]
FOUR = ["neutral", "happy", "sad", "angry"]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    base = tmp_path_factory.mktemp("corpora")
    return {
        "iemocap": make_iemocap(base / "iemocap", defects=True),
        "ravdess": make_ravdess(base / "ravdess", defects=True),
        "crema_d": make_crema_d(base / "crema_d", defects=True),
        "emodb": make_emodb(base / "emodb", defects=True),
        "folder": make_folder(base / "folder"),
        "csv": make_user_csv(base / "csv"),
        "msp_podcast": make_msp_podcast(base / "msp_podcast"),
    }


def _prepare(dataset, folder, out, **kwargs):
    args = dict(
        dataset=dataset,
        data_folder=folder,
        manifest_folder=out,
        emotions=FOUR,
        label_map={"excited": "happy"},
        valid_speakers=1,
        test_speakers=1,
        seed=1,
    )
    args.update(kwargs)
    return prepare_emotion(**args)


def _manifests(out):
    return {
        split: read_manifest(out / f"{split}.csv", required=EMOTION_COLUMNS)
        for split in ("train", "valid", "test")
    }


def _assert_no_leak(manifests, summary):
    speakers = {s: {r["spk_id"] for r in rows} for s, rows in manifests.items()}
    assert not speakers["train"] & speakers["valid"]
    assert not speakers["train"] & speakers["test"]
    assert not speakers["valid"] & speakers["test"]
    for split, spks in speakers.items():
        assert summary["splits"][split]["speakers"] == sorted(spks)
        assert summary["splits"][split]["utterances"] == len(manifests[split])
    return speakers


def _snapshot(folder):
    return {
        str(p): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(Path(folder).rglob("*"))
    }


# ------------------------------------------------------------------ IEMOCAP --
def test_iemocap_labels_speakers_genders_text(corpora):
    rows = {r["ID"]: r for r in read_iemocap(corpora["iemocap"]).rows}
    assert len(rows) == 5 * 13
    row = rows["Ses01F_impro01_M001"]
    assert (row["spk_id"], row["gender"], row["emo"], row["label"]) == (
        "Ses01_M",
        "male",
        "excited",
        "exc",
    )
    assert row["group"] == "Session1"
    assert row["text"] == "utterance 3 of Ses01F_impro01."
    # The speaker is the letter of the last field, not the one after SesNN.
    assert rows["Ses03M_script01_1_F000"]["spk_id"] == "Ses03_F"
    assert rows["Ses03M_script01_1_F000"]["gender"] == "female"
    assert rows["Ses05M_script01_1_F001"]["emo"] == "no_agreement"
    assert {r["spk_id"] for r in rows.values()} == {
        f"Ses0{n}_{g}" for n in range(1, 6) for g in "FM"
    }
    # data_folder may also be the folder that holds IEMOCAP_full_release
    assert len(read_iemocap(corpora["iemocap"].parent).rows) == 65


def test_iemocap_options(corpora):
    improvised = read_iemocap(corpora["iemocap"], {"dialogs": "improvised"}).rows
    assert len(improvised) == 5 * 9 and all("impro" in r["ID"] for r in improvised)
    scripted = read_iemocap(corpora["iemocap"], {"dialogs": "scripted"}).rows
    assert len(scripted) == 5 * 4 and all("script" in r["ID"] for r in scripted)
    two = read_iemocap(corpora["iemocap"], {"sessions": [2, 4]}).rows
    assert {r["group"] for r in two} == {"Session2", "Session4"}
    with pytest.raises(ValueError, match="dialogs"):
        read_iemocap(corpora["iemocap"], {"dialogs": "impro"})
    with pytest.raises(
        ValueError, match=r"prepare.corpora.iemocap: unknown option\(s\) \['session'\]"
    ):
        read_iemocap(corpora["iemocap"], {"session": [1]})


def test_iemocap_four_class_merges_drops_and_unusable_files(corpora, tmp_path):
    summary = _prepare(
        "iemocap", corpora["iemocap"], tmp_path, label_map={"exc": "happy"}
    )
    assert summary["relabelled"] == {"excited -> happy": 10}
    assert summary["dropped_per_label"] == {"frustrated": 5, "no_agreement": 5}
    assert summary["skipped_files"] == [
        {
            "file": "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F002.wav",
            "reason": "file is empty (0 bytes)",
        },
        {
            "file": "Session2/sentences/wav/Ses02F_impro01/Ses02F_impro01_M003.wav",
            "reason": "file not found",
        },
    ]
    manifests = _manifests(tmp_path)
    assert sum(map(len, manifests.values())) == 65 - 10 - 2
    _assert_no_leak(manifests, summary)
    happy = [r for rows in manifests.values() for r in rows if r["emo"] == "happy"]
    assert len(happy) == 20  # 10 hap + 10 exc
    row = manifests["train"][0]
    assert row["wav"].startswith("$data_root/Session")
    assert row["duration"] == pytest.approx(0.25)


def test_iemocap_leave_one_session_out(corpora, tmp_path):
    tested, validated = [], []
    for fold in range(1, 6):
        out = tmp_path / f"fold_{fold}"
        summary = _prepare("iemocap", corpora["iemocap"], out, fold=fold)
        speakers = _assert_no_leak(_manifests(out), summary)
        assert summary["protocol"]["kind"] == "leave-one-session-out cross-validation"
        assert summary["protocol"]["fold_valid"] == "held_out"  # auto, for IEMOCAP
        session = f"Ses0{fold}"
        assert {s[:5] for s in speakers["test"] | speakers["valid"]} == {session}
        assert session not in {s[:5] for s in speakers["train"]}
        assert len(speakers["train"]) == 8
        tested += speakers["test"]
        validated += speakers["valid"]
    assert tested == ["Ses01_F", "Ses02_M", "Ses03_F", "Ses04_M", "Ses05_F"]
    assert sorted(tested + validated) == sorted(
        f"Ses0{n}_{g}" for n in range(1, 6) for g in "FM"
    )
    # the whole session tested, validation speakers from the other sessions
    summary = _prepare(
        "iemocap", corpora["iemocap"], tmp_path / "rest", fold=3, fold_valid="rest"
    )
    assert summary["splits"]["test"]["speakers"] == ["Ses03_F", "Ses03_M"]
    assert len(summary["splits"]["valid"]["speakers"]) == 1
    with pytest.raises(ValueError, match="set num_folds: 5"):
        _prepare("iemocap", corpora["iemocap"], tmp_path / "x", fold=1, num_folds=4)
    with pytest.raises(ValueError, match=r"choose 1\.\.5"):
        _prepare("iemocap", corpora["iemocap"], tmp_path / "y", fold=6)


def test_missing_or_wrong_folder_names_it_and_the_layout(corpora, tmp_path):
    with pytest.raises(CorpusLayoutError) as info:
        read_iemocap(tmp_path / "nowhere")
    message = str(info.value)
    assert str(tmp_path / "nowhere") in message and "does not exist" in message
    assert "Session1..5/dialog/EmoEvaluation" in message
    with pytest.raises(CorpusLayoutError, match="Actor_01..24"):
        read_ravdess(corpora["emodb"])
    with pytest.raises(CorpusLayoutError, match="AudioWAV"):
        read_crema_d(corpora["ravdess"])
    with pytest.raises(CorpusLayoutError, match=r"wav/03a01Fa\.wav"):
        read_emodb(corpora["crema_d"])
    with pytest.raises(CorpusLayoutError, match="EmoEvaluation"):
        read_iemocap(corpora["emodb"])
    with pytest.raises(CorpusLayoutError, match="manifest.csv"):
        read_user_csv(corpora["emodb"])
    with pytest.raises(CorpusLayoutError, match="emotion sub-folder"):
        read_user_folder(corpora["emodb"] / "wav")


# ------------------------------------------------------------------ RAVDESS --
def test_ravdess_names_genders_song_and_intensity(corpora):
    listing = read_ravdess(corpora["ravdess"])
    rows = {r["ID"]: r for r in listing.rows}
    assert len(rows) == 8 * 15
    row = rows["03-01-05-02-01-01-02"]
    assert (row["spk_id"], row["gender"], row["emo"], row["label"]) == (
        "Actor_02",
        "female",
        "angry",
        "05",
    )
    assert row["text"] == "Kids are talking by the door"
    assert rows["03-01-02-01-01-01-07"]["gender"] == "male"
    assert rows["03-01-02-01-01-01-07"]["emo"] == "calm"
    assert listing.skipped == [
        {
            "file": str(
                corpora["ravdess"] / "Audio_Speech_Actors_01-24/Actor_01/take1.wav"
            ),
            "reason": "not a RAVDESS file name (seven two-digit fields)",
        }
    ]
    song = read_ravdess(corpora["ravdess"], {"include_song": True}).rows
    assert len(song) == 8 * 15 + 2 * 6
    assert {r["ID"][3:5] for r in song} == {"01", "02"}
    normal = read_ravdess(corpora["ravdess"], {"intensities": ["normal"]}).rows
    assert len(normal) == 8 * 8


def test_ravdess_eight_classes_and_calm_merge(corpora, tmp_path):
    eight = [
        "neutral",
        "calm",
        "happy",
        "sad",
        "angry",
        "fearful",
        "disgust",
        "surprised",
    ]
    summary = _prepare("ravdess", corpora["ravdess"], tmp_path / "a", emotions=eight)
    assert summary["dropped_per_label"] == {}
    total = {e: 0 for e in eight}
    for info in summary["splits"].values():
        for emo, n in info["per_emotion"].items():
            total[emo] += n
    assert total == {e: 8 if e in ("neutral",) else 16 for e in eight}
    summary = _prepare(
        "ravdess", corpora["ravdess"], tmp_path / "b", label_map={"calm": "neutral"}
    )
    assert summary["relabelled"] == {"calm -> neutral": 16}
    assert summary["dropped_per_label"] == {
        "disgust": 16,
        "fearful": 16,
        "surprised": 16,
    }


def test_audio_cache_converts_once_and_never_in_place(corpora, tmp_path):
    before = _snapshot(corpora["ravdess"])
    cache = tmp_path / "cache"
    summary = _prepare(
        "ravdess", corpora["ravdess"], tmp_path / "a", audio_cache_folder=cache
    )
    assert summary["options"]["audio_cache_folder"] == str(cache.resolve())
    rows = _manifests(tmp_path / "a")["train"]
    assert all(
        r["wav"].startswith("$audio_cache/Audio_Speech_Actors_01-24/") for r in rows
    )
    cached = cache / rows[0]["wav"].removeprefix("$audio_cache/")
    assert audio_info(cached)[1:] == (16000, 1)
    assert float(rows[0]["duration"]) == pytest.approx(0.25)
    assert _snapshot(corpora["ravdess"]) == before  # the corpus is untouched
    stamp = cached.stat().st_mtime_ns
    _prepare("ravdess", corpora["ravdess"], tmp_path / "b", audio_cache_folder=cache)
    assert cached.stat().st_mtime_ns == stamp  # converted once
    with pytest.raises(ValueError, match="inside the data folder"):
        _prepare(
            "ravdess",
            corpora["ravdess"],
            tmp_path / "c",
            audio_cache_folder=corpora["ravdess"] / "cache",
        )
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="refusing"):
        _prepare(
            "ravdess", corpora["ravdess"], tmp_path / "d", audio_cache_folder=foreign
        )
    # 16 kHz mono files need no copy: they stay in the corpus
    _prepare(
        "emodb", corpora["emodb"], tmp_path / "e", audio_cache_folder=tmp_path / "c2"
    )
    assert _manifests(tmp_path / "e")["test"][0]["wav"].startswith("$data_root/wav/")


# ------------------------------------------------------------------ CREMA-D --
def test_crema_d_genders_from_demographics(corpora, tmp_path):
    listing = read_crema_d(corpora["crema_d"])
    rows = {r["ID"]: r for r in listing.rows}
    assert len(rows) == 8 * 12 + 1
    for actor, sex in CREMA_GENDERS.items():
        assert rows[f"{actor}_DFA_ANG_XX"]["gender"] == sex.lower()
    row = rows["1002_IEO_FEA_HI"]
    assert (row["spk_id"], row["emo"], row["label"], row["text"]) == (
        "1002",
        "fearful",
        "FEA",
        "It's eleven o'clock",
    )
    high = read_crema_d(corpora["crema_d"], {"levels": ["HI"]}).rows
    assert len(high) == 8 * 5
    unknown = read_crema_d(corpora["crema_d"], {"demographics": None})
    assert {r["gender"] for r in unknown.rows} == {"unknown"}
    assert unknown.notes
    with pytest.raises(FileNotFoundError, match="VideoDemographics.csv gives"):
        read_crema_d(corpora["crema_d"], {"demographics": "other.csv"})
    summary = _prepare("crema_d", corpora["crema_d"], tmp_path)
    assert summary["skipped_files"] == [
        {"file": "AudioWAV/1008_MTI_SAD_XX.wav", "reason": "contains no samples"}
    ]


def test_crema_d_six_classes_in_speaker_folds(corpora, tmp_path):
    six = ["neutral", "happy", "sad", "angry", "fearful", "disgust"]
    tested = []
    for fold in range(1, 5):
        out = tmp_path / f"fold_{fold}"
        summary = _prepare(
            "crema_d", corpora["crema_d"], out, emotions=six, fold=fold, num_folds=4
        )
        speakers = _assert_no_leak(_manifests(out), summary)
        assert summary["protocol"]["kind"] == "4-fold by speaker cross-validation"
        assert summary["dropped_per_label"] == {}
        genders = sorted(CREMA_GENDERS[int(spk)] for spk in speakers["test"])
        assert genders == ["Female", "Male"]  # gender-balanced folds
        assert len(speakers["test"]) == 2 and len(speakers["valid"]) == 1
        tested += speakers["test"]
    assert sorted(tested) == sorted(str(a) for a in CREMA_GENDERS)


# -------------------------------------------------------------------- EmoDB --
def test_emodb_letters_and_documented_genders(corpora):
    listing = read_emodb(corpora["emodb"])
    rows = {r["ID"]: r for r in listing.rows}
    assert len(rows) == 10 * 8 + 1  # the corrupt file is listed, then probed
    assert {r["spk_id"] for r in rows.values()} == set(EMODB_SPEAKERS)
    males = {r["spk_id"] for r in rows.values() if r["gender"] == "male"}
    assert males == {"03", "10", "11", "12", "15"}
    assert {rows[f"08a01{x}a"]["emo"] for x in "WLEAFTN"} == {
        "angry",
        "boredom",
        "disgust",
        "fearful",
        "happy",
        "sad",
        "neutral",
    }
    assert rows["08a01Wa"]["text"] == "Der Lappen liegt auf dem Eisschrank."


def test_emodb_seven_classes_leave_one_speaker_out(corpora, tmp_path):
    seven = ["neutral", "boredom", "happy", "sad", "angry", "fearful", "disgust"]
    tested = []
    for fold in (1, 2, 10):
        out = tmp_path / f"fold_{fold}"
        summary = _prepare(
            "emodb", corpora["emodb"], out, emotions=seven, fold=fold, num_folds=10
        )
        speakers = _assert_no_leak(_manifests(out), summary)
        assert summary["protocol"]["kind"] == "leave-one-speaker-out cross-validation"
        assert len(speakers["test"]) == 1 and len(speakers["valid"]) == 1
        assert len(speakers["train"]) == 8
        tested += speakers["test"]
    assert len(set(tested)) == 3
    assert summary["skipped_files"][0]["file"] == "wav/03a02Wc.wav"
    assert "not a readable audio file" in summary["skipped_files"][0]["reason"]
    with pytest.raises(ValueError, match="use fold_valid: rest"):
        _prepare(
            "emodb",
            corpora["emodb"],
            tmp_path / "x",
            fold=1,
            num_folds=10,
            fold_valid="held_out",
        )


# ------------------------------------------------------------------- folder --
def test_folder_speakers_from_sub_folders_and_genders_from_csv(corpora, tmp_path):
    rows = {r["ID"]: r for r in read_user_folder(corpora["folder"]).rows}
    assert len(rows) == 4 * 6 * 2
    row = rows["sad/s3/take2"]
    assert (row["spk_id"], row["gender"], row["emo"]) == ("s3", "female", "sad")
    summary = _prepare("folder", corpora["folder"], tmp_path)  # 22.05 kHz stereo flac
    manifests = _manifests(tmp_path)
    _assert_no_leak(manifests, summary)
    assert manifests["test"][0]["wav"].endswith(".flac")
    assert summary["notes"] == []


def test_folder_speaker_table_regex_and_unknown_speakers(tmp_path):
    root = tmp_path / "mine"
    for emotion in ("angry", "sad"):
        for spk in ("ann", "bob"):
            write_tone(root / emotion / f"{spk}01_{emotion}.wav")
    write_tone(root / "sad" / ".hidden.wav")
    rows = read_user_folder(root, {"speaker_regex": r"^([a-z]+)\d+_"}).rows
    assert {r["spk_id"] for r in rows} == {"ann", "bob"}
    listing = read_user_folder(root)
    assert {r["spk_id"] for r in listing.rows} == {r["ID"] for r in listing.rows}
    assert "NOT speaker-independent" in listing.notes[0]
    (root / "speakers.csv").write_text(
        "file,spk_id,gender\nangry/ann01_angry.wav,ann,female\nsad/ann01_sad.wav,ann,Female\n"
    )
    listing = read_user_folder(root)
    assert [r["ID"] for r in listing.rows] == ["angry/ann01_angry", "sad/ann01_sad"]
    assert {r["gender"] for r in listing.rows} == {"female"}
    assert len(listing.skipped) == 2 and "not listed in" in listing.skipped[0]["reason"]
    (root / "speakers.csv").write_text(
        "file,spk_id,gender\na.wav,a,robot\nb.wav,,male\nc.wav,x,male\nd.wav,x,female\n"
    )
    with pytest.raises(ManifestError) as info:
        read_user_folder(root)
    assert len(info.value.problems) == 3  # empty spk_id, gender robot, x both genders
    with pytest.raises(FileNotFoundError, match="prepare.corpora.folder.speakers_csv"):
        read_user_folder(root, {"speakers_csv": "spk.csv"})
    with pytest.raises(ValueError, match="needs a group"):
        read_user_folder(root, {"speaker_regex": "[a-z]+"})


# ---------------------------------------------------------------------- csv --
def test_user_csv_path_forms_and_text(corpora, tmp_path):
    summary = _prepare("csv", corpora["csv"], tmp_path)
    manifests = _manifests(tmp_path)
    _assert_no_leak(manifests, summary)
    rows = [r for split in manifests.values() for r in split]
    assert len(rows) == 24
    assert all(r["wav"].startswith("$data_root/audio/") for r in rows)
    assert {r["text"] for r in rows} >= {"Well, sad.", "It costs \uff045, sadly."}
    assert "'$'" in summary["notes"][0]


def test_user_csv_reports_every_problem_at_once(tmp_path):
    write_tone(tmp_path / "a.wav")
    (tmp_path / "manifest.csv").write_text("ID,wav,emo\nu1,a.wav,sad\n")
    with pytest.raises(ManifestError, match=r"missing column\(s\) \['spk_id'\]"):
        read_user_csv(tmp_path)
    (tmp_path / "manifest.csv").write_text(
        "ID,wav,spk_id,emo,gender\n"
        "u1,a.wav,s1,sad,female\n"
        "u1,b.wav,s1,sad,female\n"
        "u3,$data_root/c.wav,,happy,F\n"
        "u4,/nowhere/d.wav,s2,,male\n"
    )
    with pytest.raises(ManifestError) as info:
        read_user_csv(tmp_path)
    problems = info.value.problems
    assert len(problems) == 7, problems
    for text in (
        "duplicate ID 'u1'",
        "b.wav",
        "c.wav",
        "empty spk_id",
        "'F'",
        "empty emo",
        "/nowhere/d.wav",
    ):
        assert any(text in p for p in problems), text


# ---------------------------------------------------------- the recipe YAML --
def test_every_dataset_prepares_with_the_recipe_yaml(corpora, tmp_path):
    """What train.py does for `--dataset X --data_folder Y`, YAML defaults and all."""
    assert set(READERS) == set(corpora) | {"embedded"}
    for dataset, folder in corpora.items():
        overrides = {
            "dataset": dataset,
            "data_folder": str(folder),
            "output_folder": str(tmp_path / dataset),
        }
        with open(ROOT / "hparams" / "lstm.yaml", encoding="utf-8") as handle:
            hparams = load_hyperpyyaml(handle, overrides)
        load_recipe("emotion").prepare_data(hparams)  # train.py's very call
        summary_file = Path(hparams["manifest_folder"]) / "prep_summary.json"
        assert os.path.isfile(summary_file)
        summary = read_stamp(summary_file)  # what prepare_emotion_data returned
        manifests = _manifests(Path(hparams["manifest_folder"]))
        _assert_no_leak(manifests, summary)
        for split, rows in manifests.items():
            assert rows, (dataset, split)


def test_preparation_is_skipped_when_unchanged_and_redone_when_options_change(
    corpora, tmp_path
):
    _prepare("emodb", corpora["emodb"], tmp_path)
    train = tmp_path / "train.csv"
    written = train.stat().st_mtime_ns
    _prepare("emodb", corpora["emodb"], tmp_path)
    assert train.stat().st_mtime_ns == written
    summary = _prepare("emodb", corpora["emodb"], tmp_path, fold=2, num_folds=5)
    assert train.stat().st_mtime_ns != written
    assert summary["protocol"]["fold"] == 2
    summary = _prepare(
        "iemocap", corpora["iemocap"], tmp_path, corpus_options={"sessions": [1, 2, 3]}
    )
    assert summary["options"]["dataset"] == "iemocap"
    assert len(summary["splits"]["train"]["speakers"]) == 4
