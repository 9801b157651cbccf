import json

import pytest

from speechbrain_lstm_ser.dataio.manifest import (
    ASR_MANIFEST,
    COMMANDS_COLUMNS,
    COMMANDS_MANIFEST,
    DIMENSIONS,
    EMOTION_COLUMNS,
    EMOTION_MANIFEST,
    USER_EMOTION_CSV,
    ManifestError,
    read_manifest,
    relative_to_data_root,
    resolve_data_root,
    write_manifest,
)
from speechbrain_lstm_ser.dataio.splits import resolve_count, split_speakers
from speechbrain_lstm_ser.dataio.stamps import (
    DONE,
    options_diff,
    read_stamp,
    write_stamp,
)


def test_manifest_round_trip_with_commas(tmp_path):
    rows = [
        {
            "ID": "u1",
            "duration": 1.5,
            "wav": "$data_root/a.wav",
            "spk_id": "s1",
            "gender": "female",
            "emo": "sad",
            "text": "Well, it is, isn't it?",
        }
    ]
    path = tmp_path / "m.csv"
    write_manifest(path, rows)
    back = read_manifest(path, required=EMOTION_COLUMNS)
    assert back[0]["text"] == rows[0]["text"]
    assert back[0]["duration"] == 1.5
    assert [p.name for p in tmp_path.iterdir()] == ["m.csv"]


def test_manifest_problems_are_all_reported(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(
        "ID,duration,wav,gender\n"
        "a,1.0,$data_root/here.wav,female\n"
        "a,2.0,$data_root/missing.wav,female\n"
        ",x,$data_root/here.wav,robot\n"
    )
    (tmp_path / "here.wav").write_bytes(b"x")
    with pytest.raises(ManifestError) as info:
        read_manifest(path, data_root=tmp_path, check_files=True)
    problems = info.value.problems
    assert any("duplicate ID 'a'" in p for p in problems)
    assert any("missing.wav" in p for p in problems)
    assert any("empty ID" in p for p in problems)
    assert any("'x' is not a positive number" in p for p in problems)
    assert any("'robot'" in p for p in problems)
    assert str(path) in str(info.value)


def test_manifest_missing_columns_and_empty(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("ID,wav\na,b.wav\n")
    with pytest.raises(ManifestError, match="missing column"):
        read_manifest(path, required=["ID", "duration", "wav"])
    path.write_text("ID,duration,wav\n")
    with pytest.raises(ManifestError, match="no rows"):
        read_manifest(path)
    with pytest.raises(ManifestError, match="not found"):
        read_manifest(tmp_path / "nope.csv")


def test_data_root_paths(tmp_path):
    rel = relative_to_data_root(tmp_path / "x" / "a.wav", tmp_path)
    assert rel == "$data_root/x/a.wav"
    assert resolve_data_root(rel, "/new/place") == "/new/place/x/a.wav"
    with pytest.raises(ValueError):
        relative_to_data_root("/elsewhere/a.wav", tmp_path)


def test_stamps(tmp_path):
    path = tmp_path / "s.json"
    assert read_stamp(path) is None
    write_stamp(path, {"a": (1, 2)}, DONE, count=3)
    stamp = read_stamp(path)
    assert stamp["status"] == DONE and stamp["count"] == 3
    assert options_diff(stamp["options"], {"a": (1, 2)}) == []
    assert options_diff({"a": 1}, {"b": 2}) == ["a: 1 -> <unset>", "b: <unset> -> 2"]
    path.write_text("{not json")
    assert read_stamp(path)["status"] == "corrupt"
    assert json.loads(json.dumps(read_stamp(path)))


SPEAKERS = {f"f{i}": "female" for i in range(10)} | {f"m{i}": "male" for i in range(10)}


def test_split_is_disjoint_complete_balanced_and_seeded():
    split = split_speakers(SPEAKERS, valid_speakers=4, test_speakers=0.2, seed=3)
    sets = [set(split[k]) for k in ("train", "valid", "test")]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    assert set().union(*sets) == set(SPEAKERS)
    for name in ("valid", "test"):
        genders = [SPEAKERS[s] for s in split[name]]
        assert genders.count("female") == genders.count("male") == 2
    assert split == split_speakers(SPEAKERS, 4, 0.2, seed=3)
    assert split != split_speakers(SPEAKERS, 4, 0.2, seed=4)


def test_split_errors():
    with pytest.raises(ValueError, match="at least one speaker"):
        split_speakers({"a": "male", "b": "male"}, 1, 1, seed=0)
    with pytest.raises(ValueError):
        resolve_count(-1, 10, "test_speakers")
    with pytest.raises(ValueError):
        resolve_count("two", 10, "test_speakers")
    assert resolve_count(0.01, 10, "x") == 1


def test_manifest_schemas(tmp_path):
    path = tmp_path / "m.csv"
    write_manifest(
        path, [{"ID": "a", "duration": 1.0, "wav": "a.wav"}], ["ID", "duration", "wav"]
    )
    with pytest.raises(ManifestError, match=r"\['spk_id', 'gender', 'wrd'\].*ASR"):
        read_manifest(path, schema=ASR_MANIFEST)
    assert COMMANDS_MANIFEST.required == COMMANDS_COLUMNS
    # a user's CSV: optional columns may be missing, required ones not empty
    path.write_text("ID,wav,spk_id,emo\nu1,a.wav,s1,sad\nu2,b.wav,,happy\n")
    with pytest.raises(ManifestError, match="row 3: empty spk_id"):
        read_manifest(path, schema=USER_EMOTION_CSV)
    path.write_text("ID,wav,spk_id,emo\nu1,a.wav,s1,sad\n")
    assert read_manifest(path, schema=USER_EMOTION_CSV)[0]["emo"] == "sad"
    with pytest.raises(ManifestError, match=r"missing column\(s\) \['text'\]"):
        read_manifest(path, schema=USER_EMOTION_CSV, required=["text"])


def test_emotion_manifests_with_and_without_dimensions(tmp_path):
    path = tmp_path / "m.csv"
    old = "ID,duration,wav,spk_id,gender,emo,text\nu1,1.0,a.wav,s1,male,sad,\n"
    path.write_text(old)  # an older or categorical manifest: no dimension columns
    assert read_manifest(path, schema=EMOTION_MANIFEST)[0]["emo"] == "sad"
    assert EMOTION_MANIFEST.required == EMOTION_COLUMNS[:7]
    assert EMOTION_COLUMNS[7:] == DIMENSIONS
    rows = [
        {"ID": "u1", "duration": 1.0, "wav": "a", "spk_id": "s", "gender": "male",
         "emo": "sad", "arousal": "0.2500", "valence": "0.0000", "dominance": "1"},
        {"ID": "u2", "duration": 1.0, "wav": "b", "spk_id": "s", "gender": "male",
         "emo": "sad"},
    ]  # fmt: skip
    write_manifest(path, rows, EMOTION_COLUMNS)
    back = read_manifest(path, schema=EMOTION_MANIFEST)
    assert [r["arousal"] for r in back] == ["0.2500", ""]  # empty: unknown
    rows[1].update(valence="1.5", dominance="high")
    write_manifest(path, rows, EMOTION_COLUMNS)
    with pytest.raises(ManifestError) as err:
        read_manifest(path, schema=EMOTION_MANIFEST)
    assert err.value.problems == [
        "row 3: valence '1.5' is not a number in [0, 1] (normalise it from the "
        "corpus's scale, or leave it empty)",
        "row 3: dominance 'high' is not a number in [0, 1] (normalise it from the "
        "corpus's scale, or leave it empty)",
    ]
