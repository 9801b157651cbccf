"""Untrained emotion model folders, exported in seconds (fast-tier inference tests)."""

from pathlib import Path

import torch
from hyperpyyaml import resolve_references
from speechbrain.dataio.encoder import CategoricalEncoder

ROOT = Path(__file__).resolve().parents[1]
SR = 16000
LABELS = ["neutral", "happy", "sad", "angry"]
#: Small enough to build and run in a fraction of a second.
TINY = {"lstm_hidden": 8, "head_hidden": 8, "n_mels": 20}


def _untrained_hparams(out: Path, hparams: str, overrides: dict) -> dict:
    """``hparams/<hparams>`` loaded from ``out`` (its resolved YAML written
    there, as a run writes it), normalisation statistics of noise, eval mode."""
    from speechbrain_lstm_ser.training.hparams import load_hparams

    overrides = {"output_folder": str(out), **overrides}
    text = "\n".join(f"{key}: {value}" for key, value in overrides.items())
    with open(ROOT / "hparams" / hparams, encoding="utf-8") as handle:
        resolved = resolve_references(handle, text).getvalue()
    (out / "hyperparams.yaml").write_text(resolved, encoding="utf-8")
    loaded = load_hparams(ROOT / "hparams" / hparams, overrides)
    torch.manual_seed(0)
    with torch.no_grad():  # global normalisation statistics
        feats = loaded["compute_features"](0.1 * torch.randn(2, SR))
        loaded["mean_var_norm"](feats, torch.ones(2))
    for module in loaded["modules"].values():
        module.eval()
    return loaded


def export_untrained(
    out: Path, hparams: str = "lstm.yaml", classifier_trained: bool = True, **overrides
) -> Path:
    """Exports ``hparams/<hparams>``'s model, untrained, from ``out``; its folder.

    The overrides (on top of :data:`TINY`) are YAML values, e.g.
    ``dimension_weight=1.0`` for a model with a regression head;
    ``classifier_trained=False`` exports it as the recipe exports a model of
    the dimensions alone (``category_weight: 0``).
    """
    from speechbrain_lstm_ser.export.folder import export_classifier

    hparams = _untrained_hparams(out, hparams, {**TINY, **overrides})
    encoder = CategoricalEncoder()
    encoder.update_from_iterable(LABELS)
    return export_classifier(
        hparams,
        encoder,
        {},
        title="untrained",
        task="emotion",
        interface="speechbrain_lstm_ser.inference.EmotionRecognizer",
        classifier_trained=classifier_trained,
    )


def predict_as_long_file(model, path, max_duration=3.0, long_window=2.0):
    """``model.predict_file(path)`` with files over ``max_duration`` s long ones.

    Its windows are ``long_window`` s (``classify_file``'s long-file path, on
    a short test clip); the model's settings are restored after.
    """
    saved = model.max_duration, model.long_window
    model.max_duration, model.long_window = max_duration, long_window
    try:
        return model.predict_file(path, gate=False)
    finally:
        model.max_duration, model.long_window = saved


#: A recogniser small enough to export and run in about a second.
TINY_ASR = {
    "lstm_hidden": 8,
    "dnn_size": 16,
    "cnn_channels": [4, 8],
    "n_mels": 20,
    "vocab_size": 12,
}


def export_untrained_recognizer(out: Path, **overrides) -> Path:
    """Exports ``hparams/asr_lstm.yaml``'s recogniser, untrained; its folder.

    Its tokenizer is a character-level sentencepiece model of a few words.
    """
    import sentencepiece

    from speechbrain_lstm_ser.export.folder import export_recognizer

    overrides = {**TINY_ASR, **overrides}
    hparams = _untrained_hparams(out, "asr_lstm.yaml", overrides)
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(["GO", "STOP", "TURN ON", "TURN OFF"] * 10),
        model_prefix=str(out / "tokenizer"),
        vocab_size=overrides["vocab_size"],
        model_type="char",
        bos_id=-1,
        eos_id=-1,
        unk_id=0,
        minloglevel=2,
    )
    return export_recognizer(
        hparams, out / "tokenizer.model", {"WER": 100.0, "CER": 100.0}
    )
