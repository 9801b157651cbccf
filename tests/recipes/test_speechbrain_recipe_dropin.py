"""Our modules inside SpeechBrain's own IEMOCAP recipe, by YAML alone."""

from pathlib import Path

import pytest
import speechbrain as sb
import torch
from hyperpyyaml import load_hyperpyyaml

# Slow tier: trains SpeechBrain's IEMOCAP recipe with our modules.
pytestmark = pytest.mark.slow

YAML = Path(__file__).resolve().parents[1] / "data" / "sb_iemocap_lstm.yaml"


class EmoIdBrain(sb.Brain):
    """The computation of SpeechBrain's IEMOCAP recipe (train.py), as it is."""

    def compute_forward(self, batch, stage):
        batch = batch.to(self.device)
        wavs, lens = batch.sig
        feats = self.modules.compute_features(wavs)
        feats = self.modules.mean_var_norm(feats, lens)
        embeddings = self.modules.embedding_model(feats, lens)
        return self.modules.classifier(embeddings)

    def compute_objectives(self, predictions, batch, stage):
        _, lens = batch.sig
        emoid, _ = batch.emo_encoded
        loss = self.hparams.compute_cost(predictions, emoid, lens)
        if stage != sb.Stage.TRAIN:
            self.error_metrics.append(batch.id, predictions, emoid, lens)
        return loss

    def on_stage_start(self, stage, epoch=None):
        if stage != sb.Stage.TRAIN:
            self.error_metrics = self.hparams.error_stats()

    def on_stage_end(self, stage, stage_loss, epoch=None):
        if stage == sb.Stage.VALID:
            self.last_error = self.error_metrics.summarize("average")
            self.checkpointer.save_and_keep_only(
                meta={"error": self.last_error}, min_keys=["error"]
            )


def _dataset():
    gen = torch.Generator().manual_seed(0)
    data = {
        f"utt{i}": {"sig": torch.randn(8000 + 1000 * i, generator=gen), "emo": i % 4}
        for i in range(8)
    }

    @sb.utils.data_pipeline.takes("emo")
    @sb.utils.data_pipeline.provides("emo_encoded")
    def label(emo):
        return torch.LongTensor([emo])

    return sb.dataio.dataset.DynamicItemDataset(
        data, dynamic_items=[label], output_keys=["id", "sig", "emo_encoded"]
    )


def test_swapped_yaml_trains_in_the_recipe_loop(tmp_path):
    with open(YAML, encoding="utf-8") as handle:
        hparams = load_hyperpyyaml(
            handle, {"output_folder": str(tmp_path), "number_of_epochs": 1}
        )
    brain = EmoIdBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts={"device": "cpu"},
        checkpointer=hparams["checkpointer"],
    )
    before = [p.detach().clone() for p in hparams["embedding_model"].parameters()]
    data = _dataset()
    brain.fit(
        hparams["epoch_counter"],
        data,
        data,
        train_loader_kwargs={"batch_size": 4},
        valid_loader_kwargs={"batch_size": 4},
        progressbar=False,
    )
    after = list(hparams["embedding_model"].parameters())
    assert any(not torch.equal(a, b) for a, b in zip(after, before, strict=True))
    assert 0.0 <= brain.last_error <= 1.0
    assert hparams["checkpointer"].find_checkpoint(min_key="error") is not None


def test_shapes_match_speechbrain_conventions(tmp_path):
    with open(YAML, encoding="utf-8") as handle:
        hparams = load_hyperpyyaml(handle, {"output_folder": str(tmp_path)})
    wavs, lens = torch.randn(3, 16000), torch.tensor([1.0, 0.7, 0.4])
    feats = hparams["mean_var_norm"](hparams["compute_features"](wavs), lens)
    embeddings = hparams["embedding_model"](feats, lens)
    assert embeddings.shape == (3, 1, 512)  # (batch, 1, features), like ECAPA
    outputs = hparams["classifier"](embeddings)
    assert outputs.shape == (3, 1, 4)
    # what the recipe's output_predictions_test_set does with them
    assert torch.argmax(outputs, dim=-1).squeeze(dim=1).shape == (3,)
    loss = hparams["compute_cost"](outputs, torch.tensor([[0], [1], [3]]), lens)
    loss.backward()
    assert torch.isfinite(loss)
