"""Pre-processing and augmentation in the training data loader.

``augment_in_loader`` moves both; ``preprocess_in_loader`` the deterministic
pre-processing alone.
"""

import os

import pytest
import speechbrain as sb
import torch
from speechbrain.augment.augmenter import Augmenter
from speechbrain.dataio.dataset import DynamicItemDataset

from speechbrain_lstm_ser.dataio.loader_augmentation import (
    AugmentingCollate,
    loader_augmented,
    loader_preprocessed,
)
from speechbrain_lstm_ser.processing.channels import RandomCodec, RandomNoise
from speechbrain_lstm_ser.processing.denoise import SpectralGateDenoiser
from speechbrain_lstm_ser.processing.level import RemoveDC
from speechbrain_lstm_ser.processing.pipeline import WaveformPipeline
from speechbrain_lstm_ser.processing.trim import SilenceTrimmer
from speechbrain_lstm_ser.training.brain import Brain


def _examples(sizes=(1600, 1200, 800)):
    gen = torch.Generator().manual_seed(0)
    return [
        {"id": f"u{i}", "sig": 0.1 * torch.randn(n, generator=gen), "label": i}
        for i, n in enumerate(sizes)
    ]


def test_collate_augments_the_valid_samples_and_marks_the_batch():
    torch.manual_seed(0)
    examples = _examples()
    noise = RandomNoise(16000, snr_db=(10.0, 10.0), kinds=["white"])
    batch = AugmentingCollate(Augmenter(augmentations=[noise]))(examples)
    wavs, lens = batch.sig
    assert loader_augmented(batch)
    assert wavs.shape == (3, 1600)
    assert torch.allclose(lens, torch.tensor([1.0, 0.75, 0.5]))
    for row, example in zip(wavs, examples, strict=True):
        n = len(example["sig"])
        added = row[:n] - example["sig"]
        snr = 10 * torch.log10(example["sig"].pow(2).mean() / added.pow(2).mean())
        assert abs(float(snr) - 10.0) < 0.1
        assert not row[n:].any()  # the padding stays zero
    assert batch.label.tolist() == [0, 1, 2]  # the rest of the batch as collated


def test_collate_pre_processes_before_augmenting():
    calls = []

    def augment(wavs, lens):
        calls.append(wavs.shape[1])
        return wavs, lens

    trim = WaveformPipeline([SilenceTrimmer(enabled=True, sample_rate=16000)])
    speech = torch.cat([torch.zeros(8000), 0.3 * torch.randn(8000), torch.zeros(8000)])
    batch = AugmentingCollate(augment, preprocess=trim)([{"sig": speech}])
    assert calls == [batch.sig.data.shape[1]] and calls[0] < 12000  # trimmed first


def test_batches_without_waveforms_pass_unmarked():
    batch = AugmentingCollate(lambda w, n: (2 * w, n))([{"feats": torch.ones(3)}])
    assert not loader_augmented(batch)
    assert batch.feats.data.tolist() == [[1.0, 1.0, 1.0]]


def test_an_augmentation_that_changes_the_batch_size_is_refused_by_name():
    doubling = Augmenter(concat_original=True, augmentations=[RandomCodec(16000)])
    with pytest.raises(ValueError, match="augment_in_loader.*batch of 3 into 6"):
        AugmentingCollate(doubling)(_examples())


def test_trainable_pre_processing_is_refused_by_name():
    with pytest.raises(ValueError, match="augment_in_loader.*trainable.*weight"):
        AugmentingCollate(lambda w, n: (w, n), preprocess=torch.nn.Linear(2, 2))


class _Recorder(torch.nn.Module):
    """Doubles the waveforms; counts the calls made in this process."""

    def __init__(self):
        super().__init__()
        self.pids = []

    def forward(self, wavs, lens):
        self.pids.append(os.getpid())
        return 2 * wavs, lens

    def replicate_labels(self, labels):
        raise AssertionError("a loader-augmented batch keeps its labels")


class _Probe(Brain):
    """Records what the model would get, and trains a scale on it."""

    def compute_forward(self, batch, stage):
        wavs, lens = self.model_waveforms(batch, stage)
        self.seen.append((batch.id, wavs.detach().clone()))
        return self.modules.scale(wavs.mean(dim=1, keepdim=True))

    def compute_objectives(self, predictions, batch, stage):
        labels = batch.label.float().unsqueeze(1)
        replicate = self.label_replicator(batch, stage)
        if replicate is not None:
            labels = replicate(labels)
        return torch.nn.functional.mse_loss(predictions, labels)


def _probe(augment_in_loader, preprocess_in_loader=False, preprocess=None):
    hparams = {
        "augment": True,
        "augment_in_loader": augment_in_loader,
        "preprocess_in_loader": preprocess_in_loader,
        "wav_augment": _Recorder(),
        "sample_rate": 16000,
    }
    modules = {"scale": torch.nn.Linear(1, 1)}
    if preprocess is not None:
        modules["preprocess"] = preprocess
    brain = _Probe(
        modules,
        lambda p: torch.optim.SGD(p, 0.01),
        hparams=hparams,
        run_opts={"noprogressbar": True},
    )
    brain.seen = []
    return brain


def _dataset():
    data = {e["id"]: {"sig": e["sig"], "label": e["label"]} for e in _examples()}
    return DynamicItemDataset(data, output_keys=["id", "sig", "label"])


@pytest.mark.parametrize("workers", [0, 1])
def test_training_batches_are_augmented_once_by_the_loader(workers):
    brain = _probe(augment_in_loader=True)
    loader = {"batch_size": 3, "num_workers": workers}
    brain.fit(range(1), _dataset(), train_loader_kwargs=loader)
    ((ids, wavs),) = brain.seen
    clean = {e["id"]: e["sig"] for e in _examples()}
    for row, utt in zip(wavs, ids, strict=True):
        assert torch.equal(row[: len(clean[utt])], 2 * clean[utt])  # doubled once
    in_main = brain.hparams.wav_augment.pids
    assert in_main == ([os.getpid()] if workers == 0 else [])  # in a worker


def test_without_loader_augmentation_the_step_augments():
    brain = _probe(augment_in_loader=False)
    with pytest.raises(AssertionError, match="keeps its labels"):
        # the step augmented, so the labels go through replicate_labels
        brain.fit(range(1), _dataset(), train_loader_kwargs={"batch_size": 3})
    assert brain.hparams.wav_augment.pids == [os.getpid()]


def test_validation_batches_are_not_augmented_by_the_loader():
    brain = _probe(augment_in_loader=True)
    loader = brain.make_dataloader(_dataset(), sb.Stage.VALID, batch_size=3)
    assert not loader_augmented(next(iter(loader)))


def test_seeded_worker_draws_repeat():
    def first_batch():
        torch.manual_seed(7)
        brain = _probe(augment_in_loader=True)
        brain.hparams.wav_augment = Augmenter(augmentations=[RandomNoise(16000)])
        loader = brain.make_dataloader(
            _dataset(), sb.Stage.TRAIN, batch_size=3, num_workers=1
        )
        return next(iter(loader)).sig.data

    first, again = first_batch(), first_batch()
    assert torch.equal(first, again)
    assert not torch.equal(first[0, :1600], _examples()[0]["sig"])


class _AddOne(torch.nn.Module):
    """A deterministic pre-processing step: adds 1 to every sample."""

    def forward(self, wavs, lens):
        return wavs + 1.0, lens


class _Doubler(torch.nn.Module):
    """An augmentation that keeps the labels."""

    def forward(self, wavs, lens):
        return 2 * wavs, lens

    def replicate_labels(self, labels):
        return labels


@pytest.mark.parametrize("workers", [0, 1])
def test_the_loader_pre_processes_once_and_the_step_augments(workers):
    brain = _probe(False, preprocess_in_loader=True, preprocess=_AddOne())
    brain.hparams.wav_augment = _Doubler()
    loader = {"batch_size": 3, "num_workers": workers}
    brain.fit(range(1), _dataset(), train_loader_kwargs=loader)
    ((ids, wavs),) = brain.seen
    clean = {e["id"]: e["sig"] for e in _examples()}
    for row, utt in zip(wavs, ids, strict=True):
        n = len(clean[utt])
        assert torch.equal(row[:n], 2 * (clean[utt] + 1.0))  # once each, in order
    batch = next(iter(brain.make_dataloader(_dataset(), sb.Stage.TRAIN, batch_size=3)))
    assert loader_preprocessed(batch) and not loader_augmented(batch)
    valid = brain.make_dataloader(_dataset(), sb.Stage.VALID, batch_size=3)
    assert not loader_preprocessed(next(iter(valid)))  # the step pre-processes


def test_pre_processing_in_a_worker_trains_bit_for_bit_as_in_the_step():
    # The recipe's pre-processing is deterministic and the augmentation's
    # draws stay in the main process: the same batches, the same weights.
    def train(in_loader):
        torch.manual_seed(3)
        preprocess = WaveformPipeline(
            [
                RemoveDC(),
                SpectralGateDenoiser(max_snr_db=25.0),
                SilenceTrimmer(sample_rate=16000, threshold_db=-20),
            ]
        )
        brain = _probe(False, preprocess_in_loader=in_loader, preprocess=preprocess)
        brain.hparams.wav_augment = Augmenter(augmentations=[RandomNoise(16000)])
        loader = {"batch_size": 2, "shuffle": True, "num_workers": int(in_loader)}
        brain.fit(range(2), _dataset(), train_loader_kwargs=loader)
        return brain.seen, brain.modules.scale.weight.detach().clone()

    (seen, weight), (seen_in_step, weight_in_step) = train(True), train(False)
    assert len(seen) == len(seen_in_step) == 4
    for (ids, wavs), (ids_in_step, wavs_in_step) in zip(
        seen, seen_in_step, strict=True
    ):
        assert ids == ids_in_step and torch.equal(wavs, wavs_in_step)
    assert torch.equal(weight, weight_in_step)


def test_throughput_counts_the_audio_as_read_before_trimming():
    trim = WaveformPipeline([SilenceTrimmer(enabled=True, sample_rate=16000)])
    speech = torch.cat([torch.zeros(8000), 0.3 * torch.randn(8000), torch.zeros(8000)])
    batch = AugmentingCollate(None, preprocess=trim)([{"sig": speech}])
    assert batch.sig.data.shape[1] < 12000  # trimmed
    assert _probe(False).batch_audio_seconds(batch) == pytest.approx(1.5)
