"""The ASR recipe, run as users run it, on a tiny generated corpus."""

import csv
import json
import sys
from pathlib import Path

import pytest
import speechbrain as sb
import torch
from hyperpyyaml import load_hyperpyyaml
from recipe_runner import run_recipe
from speechbrain.tokenizers.SentencePiece import SentencePiece

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "asr" / "train.py"
HPARAMS = ROOT / "hparams" / "asr_lstm.yaml"

# A tiny but complete configuration: 4 speakers (2 train, 1 valid, 1 test).
OVERRIDES = {
    "embedded_corpus": "{num_speakers: 4, utterances_per_speaker: 6, seed: 1234}",
    "valid_speakers": "1",
    "test_speakers": "1",
    "number_of_epochs": "1",
    "batch_size": "4",
    "vocab_size": "30",
    "cnn_channels": "[4, 8]",
    "lstm_hidden": "16",
    "dnn_size": "16",
    "n_mels": "20",
    "beam_size": "3",
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    base = tmp_path_factory.mktemp("asr")
    data, out = base / "data", base / "out"
    log = run_recipe("asr", "asr_lstm.yaml", OVERRIDES, data, out)
    return data, out, log


def test_report_alignments_and_transcripts(trained):
    _, out, log = trained
    report = json.loads((out / "test_report.json").read_text())
    assert report["synthetic_corpus"] is True and report["dataset"] == "embedded"
    assert report["searcher"] == "beam"
    assert set(report["searchers"]) == {"greedy", "beam"}
    assert report["num_utterances"] == 6  # 1 test speaker x 6 sentences
    assert report["WER"] == report["searchers"]["beam"]["WER"] >= 0
    assert report["tokenizer"] == {"type": "unigram", "vocab_size": 30}
    assert report["decoding"] == {"beam_size": 3}
    assert sum(g["num_utterances"] for g in report["by_gender"].values()) == 6
    with open(out / "manifests" / "test.csv", encoding="utf-8") as handle:
        test_ids = [row["ID"] for row in csv.DictReader(handle)]
    for name in ("wer_test.txt", "wer_test_greedy.txt"):
        alignments = (out / name).read_text()
        assert "%WER" in alignments
        assert all(uid in alignments for uid in test_ids)
    with open(out / "transcripts.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["ID"] for r in rows) == sorted(test_ids)
    assert (out / "train_curves.png").stat().st_size > 0
    assert (out / "save" / "30_unigram.model").is_file()
    assert "WER %" in log


def test_saved_model_and_tokenizer_reproduce_the_transcripts(trained):
    # The checkpoint and the sentencepiece model in save/ are all a user needs:
    # reloaded in a fresh process-like setting, they give the same transcripts.
    data, out, _ = trained
    overrides = {**OVERRIDES, "data_folder": str(data), "output_folder": str(out)}
    with open(HPARAMS, encoding="utf-8") as handle:
        hparams = load_hyperpyyaml(
            handle, "\n".join(f"{k}: {v}" for k, v in overrides.items())
        )
    assert hparams["checkpointer"].recover_if_possible(min_key="WER") is not None
    tokenizer = SentencePiece(str(out / "save"), 30, model_type="unigram")
    vocab = [tokenizer.sp.id_to_piece(i) for i in range(30)] + ["<blank>"]
    searcher = hparams["test_searcher"](vocab_list=vocab)
    sys.path.insert(0, str(RECIPE.parent))
    try:
        from train import dataio_prepare
    finally:
        sys.path.remove(str(RECIPE.parent))
    test_set = dataio_prepare(hparams, tokenizer)["test"]
    loader = sb.dataio.dataloader.make_dataloader(test_set, batch_size=4)
    mods = hparams["modules"]
    for module in mods.values():
        module.eval()
    with open(out / "transcripts.csv", encoding="utf-8") as handle:
        expected = {r["ID"]: r["hypothesis"] for r in csv.DictReader(handle)}
    found = {}
    with torch.no_grad():
        for batch in loader:
            wavs, lens = batch.sig
            feats = mods["mean_var_norm"](mods["compute_features"](wavs), lens)
            log_probs = mods["ctc_head"](mods["encoder"](feats, lens))
            for uid, hyps in zip(batch.id, searcher(log_probs, lens), strict=True):
                found[uid] = " ".join(hyps[0].text.split())
    assert found == expected


def test_second_run_resumes_instead_of_retraining(trained):
    data, out, _ = trained
    text = run_recipe("asr", "asr_lstm.yaml", OVERRIDES, data, out)
    assert "skipping preparation" in text
    assert "Going into epoch" not in text
