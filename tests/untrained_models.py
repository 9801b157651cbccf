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
    from speechbrain_lstm_ser.training.hparams import load_hparams

    overrides = {"output_folder": str(out), **TINY, **overrides}
    text = "\n".join(f"{key}: {value}" for key, value in overrides.items())
    with open(ROOT / "hparams" / hparams, encoding="utf-8") as handle:
        resolved = resolve_references(handle, text).getvalue()
    (out / "hyperparams.yaml").write_text(resolved, encoding="utf-8")
    hparams = load_hparams(ROOT / "hparams" / hparams, overrides)
    torch.manual_seed(0)
    with torch.no_grad():  # global normalisation statistics
        feats = hparams["compute_features"](0.1 * torch.randn(2, SR))
        hparams["mean_var_norm"](feats, torch.ones(2))
    for module in hparams["modules"].values():
        module.eval()
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
