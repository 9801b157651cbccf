"""Checkpoints that appear all at once, or not at all.

SpeechBrain's ``Checkpointer`` writes a checkpoint's ``CKPT.yaml`` first and
its parameter files after, in the final folder: a run killed while saving
leaves a checkpoint that looks complete and fails (or, worse, half-loads)
on resume. :class:`AtomicCheckpointer` writes each checkpoint in a staging
folder and renames it into place once every file is written; a kill at any
moment leaves either the previous checkpoints or the new one.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
import os
import shutil

from speechbrain.utils.checkpoints import Checkpointer
from speechbrain.utils.distributed import ddp_barrier, if_main_process

__all__ = ["AtomicCheckpointer"]

STAGING = ".staging"


class AtomicCheckpointer(Checkpointer):
    """A drop-in ``Checkpointer`` whose checkpoints are written atomically.

    Arguments
    ---------
    *args, **kwargs
        As ``speechbrain.utils.checkpoints.Checkpointer``.

    Example
    -------
    >>> import tempfile, torch
    >>> ckpt = AtomicCheckpointer(tempfile.mkdtemp(), {"model": torch.nn.Linear(2, 2)})
    >>> saved = ckpt.save_checkpoint()
    >>> saved.path.parent == ckpt.checkpoints_dir, saved.path.name.startswith("CKPT")
    (True, True)
    """

    def save_checkpoint(
        self, meta={}, end_of_epoch=True, name=None, verbosity=logging.INFO
    ):
        """Saves a checkpoint in a staging folder, then renames it into place.

        Arguments
        ---------
        meta : mapping
            Added to the checkpoint's meta file.
        end_of_epoch : bool
            Whether the checkpoint is at the end of an epoch.
        name : str, optional
            A custom name (prefixed as SpeechBrain does).
        verbosity : int
            Logging level of the message.

        Returns
        -------
        speechbrain.utils.checkpoints.Checkpoint or None
            The saved checkpoint (None on processes other than the main one).
        """
        staging = self.checkpoints_dir / STAGING
        if if_main_process():
            shutil.rmtree(staging, ignore_errors=True)  # leftovers of a killed save
            staging.mkdir(parents=True)
        ddp_barrier()
        ckpt = super().save_checkpoint(
            meta=meta, end_of_epoch=end_of_epoch, name=name, verbosity=verbosity
        )
        ddp_barrier()  # every process has written its part
        if ckpt is None:
            return None
        target = self.checkpoints_dir / ckpt.path.name
        if (
            target.exists()
        ):  # a custom name saved again: replace it, as SpeechBrain does
            shutil.rmtree(target)
        os.replace(ckpt.path, target)
        return ckpt._replace(
            path=target,
            paramfiles={k: target / p.name for k, p in ckpt.paramfiles.items()},
        )

    def _new_checkpoint_dirpath(self):
        # A name that is free in the final folder, created in the staging one.
        return self.checkpoints_dir / STAGING / super()._new_checkpoint_dirpath().name

    def _custom_checkpoint_dirpath(self, name):
        return (
            self.checkpoints_dir
            / STAGING
            / super()._custom_checkpoint_dirpath(name).name
        )
