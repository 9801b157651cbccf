"""The recipes the benchmark runs, and the YAML its models start from.

The benchmark trains, distils and measures training throughput with the
recipes themselves, run as subprocesses the way users run them
(``python recipes/emotion/train.py ...``), so that what it measures is what
users run; it never imports a recipe.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "emotion" / "train.py"
DISTILL_RECIPE = ROOT / "recipes" / "emotion" / "distill.py"
HPARAMS = ROOT / "hparams" / "lstm.yaml"

__all__ = ["DISTILL_RECIPE", "HPARAMS", "RECIPE", "ROOT"]
