"""The pre-processing cache: the batches the module would make, bit for bit."""

import pytest
import speechbrain as sb
import torch
from speechbrain.augment.augmenter import Augmenter
from speechbrain.dataio.batch import PaddedBatch
from speechbrain.dataio.dataset import DynamicItemDataset

from speechbrain_lstm_ser.processing.channels import RandomNoise
from speechbrain_lstm_ser.processing.denoise import SpectralGateDenoiser
from speechbrain_lstm_ser.processing.level import RemoveDC
from speechbrain_lstm_ser.processing.pipeline import WaveformPipeline
from speechbrain_lstm_ser.processing.preprocess_cache import PreprocessCache
from speechbrain_lstm_ser.processing.trim import SilenceTrimmer
from speechbrain_lstm_ser.training.brain import Brain


def _pipeline():
    """The emotion YAML's steps: DC removal, gated noise reduction, trimming."""
    return WaveformPipeline(
        [
            RemoveDC(),
            SpectralGateDenoiser(max_snr_db=25.0),
            SilenceTrimmer(sample_rate=16000, threshold_db=-40, margin=0.05),
        ]
    )


def _utterances(count=7, seed=0):
    """Tones with silence around them, an offset, and noise in every other one."""
    gen = torch.Generator().manual_seed(seed)
    utterances = {}
    for i in range(count):
        size = int(torch.randint(6000, 16000, (1,), generator=gen))
        speech = torch.arange(size // 2) / 16000
        tone = 0.3 * torch.sin(2 * torch.pi * (150 + 20 * i) * speech)
        wav = torch.cat(
            [torch.zeros(size // 4), tone, torch.zeros(size - size // 4 - tone.numel())]
        )
        if i % 2:
            wav = wav + 0.02 * torch.randn(size, generator=gen)  # about 17 dB SNR
        utterances[f"u{i}"] = wav + 0.01 * i  # a DC offset
    return utterances


def _batch(utterances, ids):
    return PaddedBatch([{"id": u, "sig": utterances[u]} for u in ids])


def test_batches_from_kept_pieces_equal_the_modules_own():
    preprocess, utterances = _pipeline().eval(), _utterances()
    cache = PreprocessCache(max_mb=10)
    orders = [
        ["u0", "u1", "u2"],
        ["u3", "u1", "u4"],
        ["u2", "u0", "u3"],
        ["u6", "u5", "u4", "u0"],
    ]
    for ids in orders:  # all new, some kept, all kept, some kept
        wavs, lens = _batch(utterances, ids).sig
        expected = preprocess(wavs, lens)
        got = cache(preprocess, ids, wavs, lens)
        assert got[0].shape == expected[0].shape
        assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])
        assert got[1].dtype == torch.float32
    assert (cache.hits, cache.misses) == (6, 7)
    assert expected[0].shape[1] < wavs.shape[1]  # the trimmer did cut


def test_length_keeping_steps_give_padded_batch_lengths():
    # Without the trimmer the lengths are the loader's; the cache must
    # reproduce PaddedBatch's own (a float64 quotient rounded to float32).
    preprocess, utterances = RemoveDC(), _utterances(count=5, seed=1)
    cache = PreprocessCache(max_mb=10)
    cache(preprocess, list(utterances), *_batch(utterances, list(utterances)).sig)
    for ids in (["u4", "u1"], ["u0", "u2", "u3"]):
        wavs, lens = _batch(utterances, ids).sig
        got = cache(preprocess, ids, wavs, lens)
        assert torch.equal(got[1], lens) and torch.equal(
            got[0], preprocess(wavs, lens)[0]
        )


def test_what_exceeds_the_budget_is_pre_processed_every_time():
    preprocess, utterances = _pipeline().eval(), _utterances()
    ids = list(utterances)
    cache = PreprocessCache(max_mb=20000 * 4 / 2**20)  # about two utterances
    wavs, lens = _batch(utterances, ids).sig
    cache(preprocess, ids, wavs, lens)
    assert 0 < len(cache.pieces) < len(ids)
    assert cache.stored_bytes <= cache.max_bytes
    kept = len(cache.pieces)
    again = cache(preprocess, ids[::-1], *_batch(utterances, ids[::-1]).sig)
    expected = preprocess(*_batch(utterances, ids[::-1]).sig)
    assert torch.equal(again[0], expected[0]) and torch.equal(again[1], expected[1])
    assert cache.hits == kept and cache.stored_bytes <= cache.max_bytes


def test_a_trainable_module_and_a_negative_budget_are_refused_by_name():
    with pytest.raises(ValueError, match="preprocess_cache_mb: 0"):
        PreprocessCache.check(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="preprocess_cache_mb: -1"):
        PreprocessCache(-1)
    with pytest.raises(ValueError, match="2 keys for a batch of 3"):
        PreprocessCache(1)(RemoveDC(), ["a", "b"], torch.zeros(3, 8), torch.ones(3))


class _Probe(Brain):
    """Records the step's waveforms and trains a scale on them."""

    def compute_forward(self, batch, stage):
        wavs, lens = self.model_waveforms(batch, stage)
        self.seen.append((stage, batch.id, wavs.detach().clone(), lens.clone()))
        return self.modules.scale(wavs.mean(dim=1, keepdim=True))

    def compute_objectives(self, predictions, batch, stage):
        return torch.nn.functional.mse_loss(predictions, torch.ones_like(predictions))

    def on_stage_start(self, stage, epoch=None):
        if stage == sb.Stage.TRAIN:  # the clock; no metrics: waveforms are compared
            super().on_stage_start(stage, epoch)

    def on_stage_end(self, stage, stage_loss, epoch=None):
        pass


def _train(cache_mb):
    torch.manual_seed(3)
    utterances = _utterances()
    data = {u: {"sig": wav} for u, wav in utterances.items()}
    train = DynamicItemDataset(data, output_keys=["id", "sig"])
    brain = _Probe(
        {"scale": torch.nn.Linear(1, 1), "preprocess": _pipeline()},
        lambda p: torch.optim.SGD(p, 0.01),
        hparams={
            "augment": True,
            "wav_augment": Augmenter(augmentations=[RandomNoise(16000)]),
            "preprocess_cache_mb": cache_mb,
            "sample_rate": 16000,
        },
        run_opts={"noprogressbar": True},
    )
    brain.seen = []
    loader = {"batch_size": 3, "shuffle": True}
    brain.fit(
        range(3), train, train, train_loader_kwargs=loader, valid_loader_kwargs=loader
    )
    brain.evaluate(train, test_loader_kwargs=loader)
    return brain


def test_training_with_the_cache_is_bit_for_bit_training_without_it():
    cached, plain = _train(cache_mb=10), _train(cache_mb=0)
    assert plain.preprocess_cache is None
    assert len(cached.seen) == len(plain.seen) == 3 * (3 + 3) + 3
    for (stage, ids, wavs, lens), (_, ids0, wavs0, lens0) in zip(
        cached.seen, plain.seen, strict=True
    ):
        assert ids == ids0 and torch.equal(wavs, wavs0) and torch.equal(lens, lens0), (
            stage
        )
    assert torch.equal(cached.modules.scale.weight, plain.modules.scale.weight)
    # Kept per stage (training and validation, 7 each); the test is not kept.
    cache = cached.preprocess_cache
    assert len(cache.pieces) == 14
    assert {stage for stage, _ in cache.pieces} == {sb.Stage.TRAIN, sb.Stage.VALID}
    assert (cache.misses, cache.hits) == (14, 2 * 14)
