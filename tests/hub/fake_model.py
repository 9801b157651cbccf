"""A tiny model folder, laid out as an export but never trained (for refusals).

Every refusal in ``tests/hub`` happens before anything is built, so a folder
with the export's file names and a YAML naming our interface is enough; what
must load for real uses the session's trained model (``conftest.trained``).
"""

from pathlib import Path

YAML = """\
interface: speechbrain_lstm_ser.inference.EmotionRecognizer
sample_rate: 16000
"""


def fake_model(folder: Path) -> Path:
    """Writes ``hyperparams.yaml``, two checkpoints and a label encoder."""
    folder.mkdir(parents=True)
    (folder / "hyperparams.yaml").write_text(YAML)
    (folder / "encoder.ckpt").write_bytes(bytes(range(256)) * 4)
    (folder / "classifier.ckpt").write_bytes(b"\x01" * 512)
    (folder / "label_encoder.ckpt").write_text("'angry' => 0\n'sad' => 1\n")
    return folder
