import pytest
import torch
from speechbrain.utils.checkpoints import (
    Checkpointer,
    mark_as_loader,
    mark_as_saver,
    register_checkpoint_hooks,
)

from speechbrain_lstm_ser.training.checkpoints import STAGING, AtomicCheckpointer


@register_checkpoint_hooks
class Flaky:
    """A recoverable whose save can be made to die halfway through."""

    def __init__(self):
        self.value = 1
        self.fail = False

    @mark_as_saver
    def _save(self, path):
        with open(path, "w") as handle:
            handle.write("partial")
            if self.fail:
                raise KeyboardInterrupt("killed while saving")
            handle.write(f" {self.value}")

    @mark_as_loader
    def _recover(self, path, end_of_epoch=True):
        text = open(path).read()
        if not text.startswith("partial "):
            raise RuntimeError(f"half-written checkpoint file {path}")
        self.value = int(text.split()[1])


@pytest.mark.parametrize(
    "cls, survives", [(Checkpointer, False), (AtomicCheckpointer, True)]
)
def test_a_save_killed_midway(tmp_path, cls, survives):
    flaky = Flaky()
    model = torch.nn.Linear(2, 2)
    ckpt = cls(tmp_path, {"model": model, "flaky": flaky})
    ckpt.save_checkpoint(meta={"step": 1})
    flaky.fail = True
    with pytest.raises(KeyboardInterrupt):
        ckpt.save_checkpoint(meta={"step": 2})
    fresh = cls(tmp_path, {"model": torch.nn.Linear(2, 2), "flaky": Flaky()})
    if survives:
        # The killed save is invisible: the last complete checkpoint is found.
        assert [c.meta["step"] for c in fresh.list_checkpoints()] == [1]
        assert fresh.recover_if_possible().meta["step"] == 1
        # and the next save clears the leftovers
        flaky.fail = False
        ckpt.save_checkpoint(meta={"step": 3})
        assert not any((tmp_path / STAGING).iterdir())
    else:
        # SpeechBrain's own checkpointer lists the half-written checkpoint.
        assert sorted(c.meta["step"] for c in fresh.list_checkpoints()) == [1, 2]
        with pytest.raises(RuntimeError, match="half-written"):
            fresh.recover_if_possible()


def test_paths_point_into_the_checkpoint_folder(tmp_path):
    ckpt = AtomicCheckpointer(tmp_path, {"model": torch.nn.Linear(2, 2)})
    saved = ckpt.save_and_keep_only(meta={"loss": 1.0}, min_keys=["loss"])
    assert saved is None or saved.path.parent == tmp_path
    (only,) = ckpt.list_checkpoints()
    assert only.path.parent == tmp_path and only.paramfiles["model"].is_file()
