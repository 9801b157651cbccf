"""The cross-domain table: conditions and other domains, both modes, the CLI."""

import json

import pytest
import torch
from recipe_runner import run_cli
from untrained_models import SR, export_untrained

from speechbrain_lstm_ser.cli import main
from speechbrain_lstm_ser.dataio.audio import write_audio
from speechbrain_lstm_ser.dataio.manifest import (
    EMOTION_COLUMNS,
    read_manifest,
    write_manifest,
)
from speechbrain_lstm_ser.evaluation.robustness import LabelledAudio
from speechbrain_lstm_ser.evaluation.transfer import (
    babble_talkers,
    format_transfer_table,
    read_domain,
    select_conditions,
    transfer_table,
)


def _set(levels, speakers, labels=None):
    wavs = [torch.full((800,), a) * torch.sin(torch.arange(800.0)) for a in levels]
    labels = labels or ["loud" if a > 0.05 else "soft" for a in levels]
    ids = [f"u{i}" for i in range(len(levels))]
    return LabelledAudio(ids, wavs, labels, list(speakers), [""] * len(levels))


def _loud(_speakers):
    return lambda ws: ["loud" if w.abs().mean() > 0.03 else "soft" for w in ws]


def _relative(speakers):
    """Per speaker: louder than the speaker's mean is loud."""

    def predict(ws):
        means = {}
        for w, s in zip(ws, speakers, strict=True):
            means.setdefault(s, []).append(float(w.abs().mean()))
        return [
            "loud" if float(w.abs().mean()) > sum(means[s]) / len(means[s]) else "soft"
            for w, s in zip(ws, speakers, strict=True)
        ]

    return predict


def test_the_table_has_every_condition_and_domain_in_both_modes():
    test = _set([0.01, 0.2, 0.02, 0.3, 0.015, 0.25], ["a", "a", "b", "b", "c", "c"])
    quiet = _set(  # another domain: recorded 20 dB lower
        [0.001, 0.02, 0.0015, 0.025], ["x", "x", "y", "y"], ["soft", "loud"] * 2
    )
    conditions = select_conditions(["gain", "noise"], 16000, test.speakers, seed=1)
    result = transfer_table(
        {"utterance": _loud, "speaker": _relative},
        test,
        conditions,
        {"quiet": quiet},
        classes=["loud", "soft"],
    )
    assert list(result["conditions"]) == list(conditions)
    clean = result["conditions"]["clean"]
    assert clean["utterance"]["UA"] == clean["speaker"]["UA"] == 1.0
    assert clean["utterance"]["unchanged"] == 1.0
    # an absolute level threshold fails on the quiet domain, per speaker does not
    domain = result["domains"]["quiet"]
    assert domain["utterance"]["UA"] == 0.5 and domain["speaker"]["UA"] == 1.0
    assert domain["utterance"]["delta_UA"] == -0.5
    assert (domain["utterances"], domain["speakers"]) == (4, 2)
    assert result["conditions"]["-20 dB"]["speaker"]["unchanged"] == 1.0
    # per class: at -20 dB the absolute threshold calls every loud clip soft
    assert result["conditions"]["-20 dB"]["utterance"]["recall"] == {
        "loud": 0.0,
        "soft": 1.0,
    }
    # every row keeps its labels, paired with the ids and truths they predict
    assert result["references"]["test"] == {"ids": test.ids, "labels": test.labels}
    assert result["references"]["quiet"]["labels"] == quiet.labels
    assert clean["utterance"]["predicted"] == test.labels
    assert domain["utterance"]["predicted"] == ["soft"] * 4  # all under the threshold
    table = format_transfer_table(result).splitlines()
    assert table[0].startswith("| condition | UA (utterance) | ΔUA | unchanged |")
    assert len(table) == 2 + len(conditions) + 1
    assert table[-1].startswith("| domain quiet (4 utt., 2 spk.) | 0.500 | -50.0 | – |")


def test_unknown_groups_and_domains_are_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="unknown condition group.*choose among"):
        select_conditions(["gain", "wind"], 16000)
    with pytest.raises(ValueError, match="must hold corpus.csv"):
        read_domain(tmp_path)
    with pytest.raises(ValueError, match="no such domain"):
        read_domain(tmp_path / "none")


def test_a_domain_is_read_from_its_folder(tmp_path):
    (tmp_path / "wavs").mkdir()
    write_audio(tmp_path / "wavs" / "a.wav", torch.zeros(1600), 16000)
    rows = [
        {
            "ID": "a",
            "duration": "0.1",
            "wav": "$data_root/wavs/a.wav",
            "spk_id": "s1",
            "gender": "male",
            "emo": "sad",
            "text": "",
        }
    ]
    write_manifest(tmp_path / "corpus.csv", rows, EMOTION_COLUMNS)
    data = read_domain(tmp_path)
    assert data.speakers == ["s1"] and data.labels == ["sad"]


def test_the_cli_prints_the_cross_domain_table(trained, tmp_path):
    manifest = trained.out / "manifests" / "test.csv"
    out = tmp_path / "transfer.json"
    # the test split again, as a domain folder (its paths made absolute)
    domain = tmp_path / "again"
    domain.mkdir()
    text = manifest.read_text().replace("$data_root", str(trained.data))
    (domain / "corpus.csv").write_text(text)
    proc = run_cli(
        "robustness",
        "--model",
        trained.model,
        "--manifest",
        manifest,
        "--data_folder",
        trained.data,
        "--conditions",
        "gain,telephone",
        "--domain",
        domain,
        "--json",
        out,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0] == (
        "| condition | UA (utterance) | ΔUA | unchanged | UA (speaker) | ΔUA | "
        "unchanged |"
    )
    names = [line.split(" | ")[0][2:] for line in lines[2:]]
    assert names == [
        "clean",
        "-20 dB",
        "-10 dB",
        "+6 dB",
        "DC",
        "telephone μ-law",
        "telephone GSM",
        "domain again (12 utt., 1 spk.)",
    ]
    summary = json.loads(out.read_text())
    # the in-domain test split read as a "domain" gives the clean UA again
    for mode in ("utterance", "speaker"):
        clean = summary["conditions"]["clean"][mode]["UA"]
        assert summary["domains"]["again"][mode]["UA"] == pytest.approx(clean)


def test_the_cli_names_an_unknown_group_in_one_line(trained, tmp_path):
    proc = run_cli(
        "robustness",
        "--model",
        trained.model,
        "--manifest",
        tmp_path / "t.csv",
        "--conditions",
        "gain,wind",
    )
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "wind" in errors[0]


def _tiny_test_split(folder):
    """Four half-second noise clips of two speakers, and their manifest."""
    torch.manual_seed(0)
    rows = ["ID,duration,wav,spk_id,emo"]
    for i, speaker in enumerate("aabb"):
        write_audio(folder / f"u{i}.wav", 0.1 * torch.randn(SR // 2), SR)
        emotion = ("sad", "angry")[i % 2]
        rows.append(f"u{i},0.5,$data_root/u{i}.wav,{speaker},{emotion}")
    manifest = folder / "test.csv"
    manifest.write_text("\n".join(rows) + "\n")
    return manifest


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({}, None),
        (
            {"normalization_reference": "utterance"},
            "measures each utterance against itself",
        ),
    ],
)
def test_only_a_speaker_normalised_model_gets_a_per_speaker_column(
    tmp_path, capsys, overrides, reason
):
    (tmp_path / "run").mkdir()
    model = export_untrained(tmp_path / "run", **overrides)
    manifest = _tiny_test_split(tmp_path)
    argv = ["robustness", "--model", model, "--manifest", manifest, "--data_folder"]
    argv += [tmp_path, "--conditions", "gain", "--batch_size", "4"]
    argv += ["--json", tmp_path / "out.json"]
    assert main([str(a) for a in argv]) == 0
    lines = capsys.readouterr().out.splitlines()
    summary = json.loads((tmp_path / "out.json").read_text())
    modes = set(summary["conditions"]["clean"])
    if reason is None:
        assert "UA (speaker)" in lines[0] and modes == {"utterance", "speaker"}
        assert "speaker_mode" not in summary
        return
    # a per-speaker column would give it a reference it never trained with
    assert "UA (speaker)" not in lines[0] and modes == {"utterance"}
    assert lines[-1].startswith("per speaker: not measured: ") and reason in lines[-1]
    assert reason in summary["speaker_mode"]
    # asked for explicitly: one error line, with or without --conditions
    for extra in ([], ["--conditions", "gain"]):
        argv = ["robustness", "--model", model, "--manifest", manifest]
        argv += ["--data_folder", tmp_path, "--by-speaker", *extra]
        assert main([str(a) for a in argv]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: --by-speaker: ")
        assert reason in err[0]


def test_a_commands_silence_clip_is_no_babble_talker(tmp_path):
    manifest = tmp_path / "test.csv"
    manifest.write_text(
        "ID,duration,wav,start,stop,spk_id,gender,command,word\n"
        "yes/0,1.0,$data_root/y.wav,,,s1,female,yes,yes\n"
        "silence/0,1.0,$data_root/n.wav,1.0,2.0,noise_pink,unknown,silence,_silence_\n"
        "cat/0,1.0,$data_root/c.wav,,,s2,male,unknown,cat\n"
    )
    speakers = ["s1", "noise_pink", "s2"]
    rows = read_manifest(manifest, required=("ID", "wav"))
    assert babble_talkers(rows, speakers) == ["s1", None, "s2"]
