"""FeatureCache's corrupted copies: multi-condition training from cached layers."""

import random
from pathlib import Path

import pytest
import torch

from speechbrain_lstm_ser.dataio.audio import write_audio
from speechbrain_lstm_ser.dataio.feature_cache import FeatureCache
from speechbrain_lstm_ser.processing.channels import RandomNoise


class Toy:
    """Stands in for a frozen SSL front end: frames of 320 samples, 2 layers."""

    frozen = True

    def cache_identity(self):
        return {"model": "toy"}

    def hidden_states(self, wavs, lens):
        frames = wavs[:, : wavs.shape[1] // 320 * 320].reshape(1, -1, 320)
        return frames[:, None, :, :4].repeat(1, 2, 1, 1)


def _recordings(folder: Path, count: int) -> list[Path]:
    gen = torch.Generator().manual_seed(0)
    paths = []
    for i in range(count):
        paths.append(folder / f"u{i}.wav")
        write_audio(paths[-1], 0.3 * torch.rand(8000, generator=gen) - 0.15, 16000)
    return paths


def _noise():
    return RandomNoise(16000, snr_db=(5.0, 5.0), kinds=["white"])


def _cache(root: Path, copies: int = 2, augment=None) -> FeatureCache:
    return FeatureCache(
        root, Toy(), dtype="float32", copies=copies, augment=augment or _noise()
    )


def test_only_training_recordings_get_copies_drawn_once(tmp_path):
    train, valid = _recordings(tmp_path, 3)[:2], [tmp_path / "u2.wav"]
    cache = _cache(tmp_path / "cache")
    cache.set_training_recordings(train)
    result = cache.build([*train, *valid])
    assert result["extracted"] == 3 + 2 * 2  # every clean one, 2 copies of 2
    assert len(list(cache.copies_folder.glob("*.pt"))) == 4
    assert not cache.copy_path(valid[0], 1).is_file()
    clean, first, second = (cache.load(train[0], i) for i in (0, 1, 2))
    assert clean.shape == first.shape
    assert not torch.equal(clean, first) and not torch.equal(first, second)
    # a second build makes nothing; the global generators are left alone
    state = torch.random.get_rng_state()
    assert cache.build([*train, *valid])["extracted"] == 0
    assert torch.equal(torch.random.get_rng_state(), state)


def test_copies_are_the_same_on_every_build_and_leave_the_seeds_alone(tmp_path):
    wavs = _recordings(tmp_path, 2)
    made = []
    for name in ("a", "b"):
        cache = _cache(tmp_path / name)
        cache.set_training_recordings(wavs)
        torch.manual_seed(123 if name == "a" else 456)  # the run's seed
        random.seed(9)
        cache.build(wavs)
        assert random.random() == random.Random(9).random()
        made.append([cache.load(w, 2) for w in wavs])
    for first, second in zip(*made, strict=True):
        assert torch.equal(first, second)


def test_reading_draws_among_the_versions_of_a_training_recording_only(tmp_path):
    train, valid = _recordings(tmp_path, 2)
    cache = _cache(tmp_path / "cache", copies=2)
    cache.set_training_recordings([train])
    cache.build([train, valid])
    versions = [cache.load(train, i) for i in range(3)]
    random.seed(0)
    drawn = set()
    for _ in range(40):
        read = cache.load(train)
        drawn.add(next(i for i, v in enumerate(versions) if torch.equal(v, read)))
    assert drawn == {0, 1, 2}
    assert all(torch.equal(cache.load(valid), cache.load(valid, 0)) for _ in range(5))


def test_another_augmentation_makes_other_copies_beside_the_same_clean_layers(
    tmp_path,
):
    wavs = _recordings(tmp_path, 1)
    white = _cache(tmp_path / "cache")
    louder = _cache(
        tmp_path / "cache", augment=RandomNoise(16000, (0.0, 0.0), kinds=["pink"])
    )
    assert white.folder == louder.folder  # the clean layers are shared
    assert white.copies_folder != louder.copies_folder
    for cache in (white, louder):
        cache.set_training_recordings(wavs)
        cache.build(wavs)
    assert not torch.equal(white.load(wavs[0], 1), louder.load(wavs[0], 1))


def test_no_copies_without_an_augmentation_and_a_clear_missing_copy(tmp_path):
    with pytest.raises(ValueError, match="ssl_cache_augment"):
        FeatureCache(tmp_path / "c", Toy(), copies=2)
    with pytest.raises(ValueError, match=">= 0"):
        FeatureCache(tmp_path / "c", Toy(), copies=-1, augment=_noise())
    wavs = _recordings(tmp_path, 1)
    cache = _cache(tmp_path / "cache")
    cache.build(wavs)  # not told which recordings train: no copies
    with pytest.raises(FileNotFoundError, match="no cached SSL features"):
        cache.load(wavs[0], 1)
    # with copies 0 nothing is ever drawn
    plain = _cache(tmp_path / "cache", copies=0)
    plain.set_training_recordings(wavs)
    assert torch.equal(plain.load(wavs[0]), plain.load(wavs[0], 0))


def test_the_copies_folder_follows_the_channels_settings_inside_an_augmenter():
    from speechbrain.augment.augmenter import Augmenter

    from speechbrain_lstm_ser.processing.channels import RandomRoom

    def channels(rt60):
        return Augmenter(augmentations=[RandomRoom(16000, rt60=rt60)])

    folders = {
        FeatureCache(
            "/tmp/unused", Toy(), copies=1, augment=channels(rt60)
        ).copies_folder.name
        for rt60 in ((0.2, 1.0), (0.2, 1.0), (0.3, 1.0))
    }
    assert len(folders) == 2  # the same settings, the same copies; others not
