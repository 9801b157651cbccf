"""Tokenizer, CTC output layer and decoding, and error rates on known strings."""

import csv
import json
import math

import pytest
import torch
from speechbrain.decoders.ctc import CTCBeamSearcher, ctc_greedy_decode
from speechbrain.nnet.losses import ctc_loss
from speechbrain.tokenizers.SentencePiece import SentencePiece

from speechbrain_lstm_ser.dataio.synthetic.asr import (
    number_words,
    random_sentence,
    vocabulary,
)
from speechbrain_lstm_ser.evaluation.reports import (
    format_asr_markdown,
    format_asr_summary,
    write_asr_report,
)
from speechbrain_lstm_ser.evaluation.transcription import (
    TranscriptionMetrics,
    error_rates,
)
from speechbrain_lstm_ser.nnet.heads import CTCHead


def _transcripts_csv(path, sentences):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ID", "duration", "wav", "wrd"])
        for i, text in enumerate(sentences):
            writer.writerow([f"u{i}", 1.0, "x.wav", text])


@pytest.mark.parametrize("model_type", ["unigram", "bpe"])
def test_tokenizer_trains_on_transcripts_and_round_trips(tmp_path, model_type):
    import numpy as np

    rng = np.random.default_rng(0)
    train = [random_sentence(rng) for _ in range(300)]
    _transcripts_csv(tmp_path / "train.csv", train)
    tok = SentencePiece(
        model_dir=str(tmp_path / "save"),
        vocab_size=80,
        annotation_train=str(tmp_path / "train.csv"),
        annotation_read="wrd",
        model_type=model_type,
        character_coverage=1.0,
        bos_id=-1,
        eos_id=-1,
    )
    assert tok.sp.vocab_size() == 80
    assert (tmp_path / "save" / f"80_{model_type}.model").is_file()
    # unseen sentences of the same grammar round-trip exactly
    for text in (random_sentence(rng) for _ in range(50)):
        ids = tok.sp.encode_as_ids(text)
        assert 0 not in ids  # no <unk>: every character was seen
        assert tok.sp.decode_ids(ids) == text
    # sub-word units: fewer tokens than characters, more than words
    text = "SET THE THERMOSTAT TO TWENTY ONE DEGREES"
    assert len(text.split()) <= len(tok.sp.encode_as_ids(text)) < len(text)
    # a second construction reloads the saved model instead of retraining
    again = SentencePiece(
        model_dir=str(tmp_path / "save"),
        vocab_size=80,
        annotation_train=str(tmp_path / "train.csv"),
        annotation_read="wrd",
        model_type=model_type,
    )
    assert again.sp.encode_as_ids(text) == tok.sp.encode_as_ids(text)


def test_grammar_vocabulary_and_numbers():
    assert 250 <= len(vocabulary()) <= 400
    assert number_words(0) == "zero"
    assert number_words(19) == "nineteen"
    assert number_words(90) == "ninety"
    assert number_words(999) == "nine hundred and ninety nine"
    with pytest.raises(ValueError):
        number_words(1000)


def _log_probs(rows):
    probs = torch.tensor(rows, dtype=torch.float) + 1e-6
    return torch.log(probs / probs.sum(-1, keepdim=True)).unsqueeze(0)


VOCAB = ["<unk>", "▁TURN", "▁ON", "▁OFF", "<blank>"]
BLANK = 4


def test_greedy_and_beam_on_a_known_posterior():
    # Every frame: "ON" 0.4, blank 0.6. The best path is all blanks (greedy:
    # nothing), but the label "ON" has probability 1 - 0.6**2 = 0.64 > 0.36.
    log_probs = _log_probs([[0, 0, 0.4, 0, 0.6], [0, 0, 0.4, 0, 0.6]])
    assert ctc_greedy_decode(log_probs, torch.ones(1), blank_id=BLANK) == [[]]
    searcher = CTCBeamSearcher(blank_index=BLANK, vocab_list=VOCAB, beam_size=10)
    best = searcher(log_probs, torch.ones(1))[0][0]
    assert best.text == "ON"
    assert math.exp(best.score) == pytest.approx(0.64, abs=1e-3)


def test_greedy_collapses_repeats_and_blanks_and_respects_lengths():
    frames = [
        [0, 0.9, 0, 0, 0.1],  # TURN
        [0, 0.9, 0, 0, 0.1],  # TURN (repeat: merged)
        [0, 0, 0, 0, 1.0],  # blank
        [0, 0, 0, 0.8, 0.2],  # OFF
        [0, 0.9, 0, 0, 0.1],  # beyond the length: ignored
    ]
    log_probs = _log_probs(frames)
    assert ctc_greedy_decode(log_probs, torch.tensor([0.8]), BLANK) == [[1, 3]]
    searcher = CTCBeamSearcher(blank_index=BLANK, vocab_list=VOCAB, beam_size=10)
    assert searcher(log_probs, torch.tensor([0.8]))[0][0].text == "TURN OFF"


def test_ctc_head_learns_a_sequence_with_the_blank_last():
    torch.manual_seed(0)
    head = CTCHead(input_size=8, vocab_size=4)
    assert head.blank_index == 4
    feats = torch.randn(1, 12, 8)
    target = torch.tensor([[1, 2, 2, 3]])  # a repeat needs a blank between
    opt = torch.optim.Adam(head.parameters(), lr=0.05)
    for _ in range(300):
        loss = ctc_loss(head(feats), target, torch.ones(1), torch.ones(1), 4)
        opt.zero_grad()
        loss.backward()
        opt.step()
    decoded = ctc_greedy_decode(head(feats), torch.ones(1), blank_id=4)
    assert decoded == [[1, 2, 2, 3]]


def test_error_rates_on_known_strings():
    # one substitution (ON -> OFF), one deletion (LIGHTS)
    rates = error_rates(["TURN ON THE LIGHTS"], ["TURN OFF THE"])
    assert rates["WER"] == 50.0
    assert (rates["substitutions"], rates["deletions"], rates["insertions"]) == (
        1,
        1,
        0,
    )
    assert error_rates(["OPEN THE DOOR"], ["OPEN THE DOOR"])["WER"] == 0.0
    # insertions can push the WER past 100 %
    assert error_rates(["GO"], ["GO GO GO"])["WER"] == 200.0
    # CER counts characters, word boundaries included (SpeechBrain's way):
    # "ON" -> "OF": 1 substitution out of 2 characters
    assert error_rates(["ON"], ["OF"])["CER"] == 50.0
    # corpus-level WER is total edits / total reference words, not a mean
    rates = error_rates(["A B C D", "E"], ["A B C D", "X"])
    assert rates["WER"] == pytest.approx(100 * 1 / 5)
    assert rates["SER"] == 50.0


def test_transcription_metrics_groups_and_report(tmp_path):
    metrics = {"greedy": TranscriptionMetrics(), "beam": TranscriptionMetrics()}
    refs = [["TURN", "ON", "THE", "LIGHTS"], ["STOP"], ["CALL", "MOM"]]
    hyps = {
        "greedy": [["TURN", "ON", "LIGHTS"], ["STOP"], ["CALL", "MUM"]],
        "beam": [["TURN", "ON", "THE", "LIGHTS"], ["STOP"], ["CALL", "MUM"]],
    }
    for name, metric in metrics.items():
        metric.append(
            ["u1", "u2", "u3"],
            hyps[name],
            refs,
            gender=["female", "male", "female"],
            speaker=["s1", "s2", "s1"],
        )
    report = metrics["beam"].summarize()
    assert report["WER"] == pytest.approx(100 / 7)
    assert report["by_gender"]["male"]["WER"] == 0.0
    assert report["by_gender"]["female"]["WER"] == pytest.approx(100 / 6)
    assert report["by_speaker"]["s1"]["num_utterances"] == 2

    path = write_asr_report(metrics, tmp_path, primary="beam", extra={"dataset": "x"})
    saved = json.loads(path.read_text())
    assert saved["searcher"] == "beam" and saved["dataset"] == "x"
    assert saved["WER"] == pytest.approx(100 / 7)
    assert saved["searchers"]["greedy"]["WER"] == pytest.approx(200 / 7)
    alignments = (tmp_path / "wer_test.txt").read_text()
    assert "%WER" in alignments and "u3" in alignments and "MUM" in alignments
    assert (tmp_path / "wer_test_greedy.txt").is_file()
    with open(tmp_path / "transcripts.csv", encoding="utf-8") as handle:
        rows = {r["ID"]: r for r in csv.DictReader(handle)}
    assert rows["u3"]["hypothesis"] == "CALL MUM" and rows["u3"]["gender"] == "female"
    markdown = format_asr_markdown(saved)
    assert "| beam (reported) | 14.29 |" in markdown
    assert "| male | 1 | 0.00 |" in markdown
    assert "greedy" in format_asr_summary(saved)
    with pytest.raises(ValueError, match="primary"):
        write_asr_report(metrics, tmp_path, primary="lm")
