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


def export_untrained(out: Path, hparams: str = "lstm.yaml", **overrides) -> Path:
    """Exports ``hparams/<hparams>``'s model, untrained, from ``out``; its folder.

    The overrides (on top of :data:`TINY`) are YAML values, e.g.
    ``dimension_weight=1.0`` for a model with a regression head.
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
    )
