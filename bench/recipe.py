"""The emotion recipe (``recipes/emotion/train.py``) as an importable module.

The benchmark trains with the recipe itself (as a subprocess) and reuses
its ``EmotionBrain`` and data pipeline in-process, so that what it measures
is what users run.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "emotion" / "train.py"
HPARAMS = ROOT / "hparams" / "lstm.yaml"

__all__ = ["HPARAMS", "RECIPE", "ROOT", "emotion_recipe"]


@functools.cache
def emotion_recipe() -> ModuleType:
    """Imports ``recipes/emotion/train.py`` (its ``__main__`` block does not run).

    Returns
    -------
    module
        With ``EmotionBrain``, ``dataio_prepare``, ``configure_class_weights``.
    """
    spec = importlib.util.spec_from_file_location("emotion_recipe", RECIPE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
