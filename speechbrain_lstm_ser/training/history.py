"""Per-epoch training statistics, checkpointed with the model.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import json

from speechbrain.utils.checkpoints import (
    mark_as_loader,
    mark_as_saver,
    register_checkpoint_hooks,
)

__all__ = ["TrainingHistory"]


@register_checkpoint_hooks
class TrainingHistory:
    """Per-epoch statistics, checkpointed with the model.

    Kept by the ``Checkpointer``, so that a resumed run's curves continue
    from the checkpoint it resumed (and forget epochs that were lost).

    Example
    -------
    >>> history = TrainingHistory()
    >>> history.append(1, train_loss=1.2, valid_loss=1.0, valid_UA=0.4)
    >>> history.column("valid_UA")
    [0.4]
    """

    def __init__(self):
        self.epochs: list[dict] = []

    def append(self, epoch: int, **stats: float) -> None:
        """Records the statistics of ``epoch`` (replacing an earlier record)."""
        self.epochs = [e for e in self.epochs if e["epoch"] != epoch]
        self.epochs.append({"epoch": epoch, **{k: float(v) for k, v in stats.items()}})
        self.epochs.sort(key=lambda e: e["epoch"])

    def column(self, name: str) -> list[float]:
        """The values of one statistic, epoch by epoch."""
        return [e[name] for e in self.epochs if name in e]

    @mark_as_saver
    def _save(self, path):
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.epochs, handle)

    @mark_as_loader
    def _recover(self, path, end_of_epoch=True):
        del end_of_epoch
        with open(path, encoding="utf-8") as handle:
            self.epochs = json.load(handle)
