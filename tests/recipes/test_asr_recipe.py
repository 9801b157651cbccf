"""The ASR recipe, run as users run it, on a tiny generated corpus."""

import csv
import json
from pathlib import Path

import pytest
import speechbrain as sb
import torch
from hyperpyyaml import load_hyperpyyaml
from recipe_runner import TINY, load_recipe, run_cli, run_recipe, train_tiny
from speechbrain.tokenizers.SentencePiece import SentencePiece

from speechbrain_lstm_ser.decoders.ctc import CTCTextSearch

# Slow tier: trains the ASR recipe.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HPARAMS = ROOT / "hparams" / "asr_lstm.yaml"

OVERRIDES = TINY["asr"]


@pytest.fixture(scope="session")
def asr_trained(tmp_path_factory):
    return train_tiny(tmp_path_factory, "asr", "asr_lstm.yaml")


def test_report_alignments_and_transcripts(asr_trained):
    _, out, log = asr_trained
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


def test_saved_model_and_tokenizer_reproduce_the_transcripts(asr_trained):
    # The checkpoint and the sentencepiece model in save/ are all a user needs:
    # reloaded in a fresh process-like setting, they give the same transcripts.
    hparams, tokenizer, loader = _saved_run(asr_trained)
    assert hparams["checkpointer"].recover_if_possible(min_key="WER") is not None
    searcher = CTCTextSearch(
        hparams["test_searcher"], tokenizer.sp, hparams["blank_index"]
    )
    model = hparams["model"].eval()
    with open(asr_trained[1] / "transcripts.csv", encoding="utf-8") as handle:
        expected = {r["ID"]: r["hypothesis"] for r in csv.DictReader(handle)}
    found = {}
    with torch.no_grad():
        for batch in loader:
            wavs, lens = batch.sig
            log_probs = model(wavs, lens)
            for uid, text in zip(batch.id, searcher(log_probs, lens), strict=True):
                found[uid] = text
    assert found == expected


def test_second_run_resumes_instead_of_retraining(asr_trained):
    data, out, _ = asr_trained
    text = run_recipe("asr", "asr_lstm.yaml", OVERRIDES, data, out)
    assert "skipping preparation" in text
    assert "Going into epoch" not in text


def _saved_run(asr_trained):
    """The run's hparams, saved tokenizer, and test batches as the Brain saw them."""
    data, out, _ = asr_trained
    overrides = {**OVERRIDES, "data_folder": str(data), "output_folder": str(out)}
    with open(HPARAMS, encoding="utf-8") as handle:
        hparams = load_hyperpyyaml(
            handle, "\n".join(f"{k}: {v}" for k, v in overrides.items())
        )
    tokenizer = SentencePiece(str(out / "save"), 30, model_type="unigram")
    test_set = load_recipe("asr").dataio_prepare(hparams, tokenizer)["test"]
    loader = sb.dataio.dataloader.make_dataloader(test_set, batch_size=4)
    return hparams, tokenizer, loader


def test_exported_model_round_trips(asr_trained, tmp_path):
    from hub_cache import populate_hub_cache, run_offline

    from speechbrain_lstm_ser.export.card import read_front_matter
    from speechbrain_lstm_ser.inference import SpeechRecognizer
    from speechbrain_lstm_ser.publish import check_folder

    data, out, _ = asr_trained
    model_dir = out / "model"
    report = json.loads((out / "test_report.json").read_text())
    meta = read_front_matter((model_dir / "README.md").read_text())
    assert meta["pipeline_tag"] == "automatic-speech-recognition"
    metrics = {
        m["type"]: m["value"] for m in meta["model-index"][0]["results"][0]["metrics"]
    }
    assert metrics["wer"] == pytest.approx(report["WER"], abs=1e-3)
    # Loaded from the folder, it decodes the Brain's test batches as the Brain did.
    asr = SpeechRecognizer.from_hparams(source=str(model_dir))
    with open(out / "transcripts.csv", encoding="utf-8") as handle:
        expected = {r["ID"]: r["hypothesis"] for r in csv.DictReader(handle)}
    found = {}
    _, _, batches = _saved_run(asr_trained)
    for batch in batches:
        texts, _ = asr.transcribe_batch(*batch.sig)
        found.update(
            {uid: " ".join(t.split()) for uid, t in zip(batch.id, texts, strict=True)}
        )
    assert found == expected
    # publish --dry-run's checks (files, card, load, example clip)
    assert isinstance(check_folder(model_dir).prediction, str)
    # by repo id from an offline Hugging Face cache: the same transcripts
    with open(out / "manifests" / "test.csv", encoding="utf-8") as handle:
        paths = [
            r["wav"].replace("$data_root", str(data)) for r in csv.DictReader(handle)
        ]
    local = [asr.transcribe_file(p) for p in paths]
    populate_hub_cache(tmp_path / "hub", "someone/asr-lstm", model_dir)
    code = (
        "import json\n"
        "from speechbrain_lstm_ser.inference.load import load_model\n"
        f"model = load_model('someone/asr-lstm', savedir={str(tmp_path / 'saved')!r})\n"
        f"print(json.dumps([model.transcribe_file(p) for p in {paths!r}]))\n"
    )
    proc = run_offline(code, tmp_path / "hub")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == local
    # greedy decoding is available too
    greedy = SpeechRecognizer.from_hparams(source=str(model_dir), decoding="greedy")
    assert isinstance(greedy.transcribe_file(paths[0]), str)


def _two_utterances_with_pauses(asr_trained, path):
    """Silence 1 s, utterance A, silence 2 s, utterance B, silence 1 s.

    Returns, per utterance, where its speech is and where its recording (speech
    plus background noise) is in the file, as ``(start, end)`` seconds.
    """
    import numpy as np
    import soundfile as sf

    data, out, _ = asr_trained
    with open(out / "manifests" / "test.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:2]
    waves = [sf.read(r["wav"].replace("$data_root", str(data)))[0] for r in rows]
    pause = np.zeros(16000)
    sf.write(
        path, np.concatenate([pause, waves[0], pause, pause, waves[1], pause]), 16000
    )
    # the corpus has background noise: speech is where 50 ms blocks rise 6 dB
    # above the recording's own noise floor
    spans, offset = [], 1.0
    for wave in waves:
        blocks = wave[: len(wave) // 800 * 800].reshape(-1, 800)
        level = 10 * np.log10((blocks**2).mean(axis=1) + 1e-12)
        active = np.flatnonzero(level > np.percentile(level, 5) + 6.0)
        speech = (offset + active[0] * 0.05, offset + (active[-1] + 1) * 0.05)
        spans.append((speech, (offset, offset + len(wave) / 16000)))
        offset += len(wave) / 16000 + 2.0
    return spans


def test_analyze_file_streams_segments_with_text_and_emotion(
    asr_trained, trained, tmp_path, monkeypatch
):
    import speechbrain_lstm_ser.inference.analyze as analyze_module
    from speechbrain_lstm_ser.inference import (
        EmotionRecognizer,
        SpeechRecognizer,
        analyze_file,
    )
    from speechbrain_lstm_ser.processing.vad import EnergyVAD

    path = tmp_path / "talk.wav"
    truth = _two_utterances_with_pauses(asr_trained, path)
    asr = SpeechRecognizer.from_hparams(source=str(asr_trained[1] / "model"))
    ser = EmotionRecognizer.from_hparams(source=str(trained.model))
    spans = []
    real = analyze_module.read_audio

    def spy(p, sample_rate=16000, start=None, stop=None):
        spans.append(stop - start)
        return real(p, sample_rate, start=start, stop=stop)

    monkeypatch.setattr(analyze_module, "read_audio", spy)
    # blocks of 2 s: speech crosses block boundaries and must be re-joined
    segments = analyze_file(path, asr, ser, vad=EnergyVAD(block=2.0))
    assert len(segments) == 2
    for segment, (speech, recording) in zip(segments, truth, strict=True):
        # the segment covers the speech and stays within its recording (the
        # noise floor of the corpus can sit at the VAD threshold)
        assert recording[0] - 0.35 < segment.start < speech[0] + 0.1
        assert speech[1] - 0.1 < segment.end < recording[1] + 0.35
        assert segment.emotion in ser.labels and 0 < segment.score <= 1
        assert segment.text == asr.transcribe_segment(path, segment.start, segment.end)
    longest = max(end - start for _, (start, end) in truth)
    assert max(spans) <= longest + 1.0  # one segment at a time


def test_transcribe_and_analyze_command_line(asr_trained, trained, tmp_path):

    folder = tmp_path / "in"
    folder.mkdir()
    _two_utterances_with_pauses(asr_trained, folder / "talk.wav")
    (folder / "broken.wav").write_bytes(b"RIFF....WAVEfmt ")
    model = str(asr_trained[1] / "model")

    done = run_cli("transcribe", "--model", model, str(folder))
    assert done.returncode == 1
    [result] = [json.loads(line) for line in done.stdout.splitlines()]
    assert result["file"].endswith("talk.wav") and isinstance(result["text"], str)
    assert sum(line.startswith("error:") for line in done.stderr.splitlines()) == 1
    both = run_cli(
        "analyze",
        "--asr-model",
        model,
        "--emotion-model",
        str(trained.model),
        str(folder / "talk.wav"),
    )
    assert both.returncode == 0, both.stderr[-2000:]
    [result] = [json.loads(line) for line in both.stdout.splitlines()]
    assert len(result["segments"]) == 2
    assert {"start", "end", "text", "emotion", "score"} <= set(result["segments"][0])
    wrong = run_cli(
        "transcribe", "--model", str(trained.model), str(folder / "talk.wav")
    )
    assert wrong.returncode == 2 and "cannot transcribe" in wrong.stderr
