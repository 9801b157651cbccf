"""A recogniser's WER per condition: the conditions, the table, the CLI."""

import json

import pytest
import torch
from untrained_models import SR, export_untrained_recognizer

from speechbrain_lstm_ser.cli import main
from speechbrain_lstm_ser.dataio.audio import write_audio
from speechbrain_lstm_ser.evaluation.transcription_robustness import (
    ASR_CONDITIONS,
    format_transcription_robustness,
    transcription_conditions,
    transcription_robustness,
)


def test_the_default_conditions_are_the_asr_table_reference_first():
    conditions = transcription_conditions(speakers=["a", "b"])
    assert list(conditions) == list(ASR_CONDITIONS)
    assert list(conditions)[0] == "0 dB"


def test_groups_add_whole_groups_and_bad_names_are_one_clear_error():
    names = list(transcription_conditions(["-20 dB"], groups=["reverb"]))
    assert names == [
        "0 dB",
        "-20 dB",
        "room RT60 0.3 s",
        "room RT60 0.6 s",
        "room RT60 0.9 s",
    ]
    with pytest.raises(ValueError, match="unknown condition group"):
        transcription_conditions(groups=["rooms"])
    with pytest.raises(ValueError, match="unknown condition.*loud"):
        transcription_conditions(["loud"])
    with pytest.raises(ValueError, match="babble noise needs the speaker"):
        transcription_conditions(["babble noise 10 dB"])


def test_a_level_sensitive_transcriber_loses_words_at_low_gain():
    wavs = [0.5 * torch.ones(160), 0.05 * torch.ones(160)]

    def transcribe(batch):
        return ["TURN ON" if w.abs().max() > 0.04 else "TURN" for w in batch]

    table = transcription_robustness(
        transcribe,
        wavs,
        ["TURN ON", "TURN ON"],
        transcription_conditions(["-20 dB", "+6 dB"]),
    )
    assert list(table) == ["0 dB", "-20 dB", "+6 dB"]
    assert table["0 dB"]["WER"] == 0.0 and table["+6 dB"]["delta_WER"] == 0.0
    assert table["-20 dB"]["WER"] == 25.0 and table["-20 dB"]["delta_WER"] == 25.0
    assert table["-20 dB"]["hypotheses"] == ["TURN ON", "TURN"]
    lines = format_transcription_robustness(table).splitlines()
    assert lines[0] == "| condition | WER % | ΔWER | CER % |"
    assert lines[3].startswith("| -20 dB | 25.00 | +25.00 |")


def test_a_transcriber_returning_too_few_texts_is_refused():
    with pytest.raises(ValueError, match="1 transcripts for 2 waveforms"):
        transcription_robustness(
            lambda batch: ["GO"],
            [torch.ones(10), torch.ones(10)],
            ["GO", "GO"],
            transcription_conditions([]),
        )


@pytest.fixture(scope="module")
def recognizer(tmp_path_factory):
    return export_untrained_recognizer(tmp_path_factory.mktemp("asr"))


def test_the_cli_gives_a_recognisers_wer_per_condition(recognizer, tmp_path, capsys):
    torch.manual_seed(0)
    rows = ["ID,duration,wav,spk_id,wrd"]
    for i, speaker in enumerate(["a", "a", "b", "c"]):
        path = tmp_path / f"u{i}.wav"
        write_audio(path, 0.1 * torch.randn(SR // 2), SR)
        rows.append(f"u{i},0.5,$data_root/u{i}.wav,{speaker},TURN ON")
    manifest = tmp_path / "test.csv"
    manifest.write_text("\n".join(rows) + "\n")
    out = tmp_path / "asr.json"
    argv = ["robustness", "--model", recognizer, "--manifest", manifest]
    argv += ["--data_folder", tmp_path, "--conditions", "gain", "--decoding", "greedy"]
    assert main([str(a) for a in [*argv, "--json", out]]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "4 utterances, greedy decoding"
    assert [line.split(" | ")[0] for line in lines[3:]] == [
        f"| {c}" for c in ["0 dB", "-20 dB", "-10 dB", "+6 dB", "DC"]
    ]
    summary = json.loads(out.read_text())
    assert summary["utterances"] == 4 and summary["decoding"] == "greedy"
    assert summary["conditions"]["0 dB"]["num_words"] == 8
    assert all(0 <= row["WER"] for row in summary["conditions"].values())

    assert main([str(a) for a in [*argv, "--by-speaker"]]) == 1
    err = capsys.readouterr().err
    assert "--by-speaker: not for a speech recogniser" in err
