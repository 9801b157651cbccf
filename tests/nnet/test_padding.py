"""A file's answer does not depend on the padded batch it is classified in.

Each waveform's feature frames are counted from its samples
(``nnet.lengths.frame_lengths``), so in a padded batch a file keeps exactly
the frames it has alone: same probabilities (float32 tolerance, the same
kernels in the same process) whatever the lengths. The lengths are chosen
around frame boundaries: with ``lens * frames`` the old rule dropped a real
frame or counted a padding frame for several of them (e.g. 8159 samples in a
batch of 16000 at a 160-sample hop: 51 frames alone, 52 by the old rule).
"""

import pytest
import torch
from speechbrain.lobes.features import Fbank
from speechbrain.processing.features import InputNormalization, make_padding_mask

from speechbrain_lstm_ser.nnet.encoders import (
    CRNNEncoder,
    LSTMEncoder,
    absolute_lengths,
)
from speechbrain_lstm_ser.nnet.features import FbankProsody
from speechbrain_lstm_ser.nnet.heads import ClassificationHead, CTCHead
from speechbrain_lstm_ser.nnet.lengths import frame_count, frame_lengths
from speechbrain_lstm_ser.nnet.models import CTCModel, UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.normalization import ReferenceNormalization
from speechbrain_lstm_ser.nnet.pooling import AttentiveStatisticsPooling
from speechbrain_lstm_ser.nnet.streaming import CausalFbank

#: Around 160- and 320-sample frame boundaries, and odd ones.
LENGTHS = [8000, 8159, 8160, 8161, 12345, 4799, 6400, 16001]
#: Probabilities of one file alone and in a batch: the same computation.
TOLERANCE = 1e-5


def _waveforms(lengths, seed=0):
    gen = torch.Generator().manual_seed(seed)
    wavs = []
    for n in lengths:
        t = torch.arange(n) / 16000
        f0 = 120 + 40 * torch.rand(1, generator=gen)
        tone = 0.2 * torch.sin(2 * torch.pi * f0 * t)
        wavs.append(tone + 0.05 * torch.randn(n, generator=gen))
    return wavs


def _padded(wavs):
    longest = max(len(w) for w in wavs)
    batch = torch.zeros(len(wavs), longest)
    for i, w in enumerate(wavs):
        batch[i, : len(w)] = w
    lens = torch.tensor([len(w) / longest for w in wavs])
    return batch, lens


def _classifier(features, n_channels, reference_norm=None, seed=0):
    torch.manual_seed(seed)
    model = UtteranceClassifierModel(
        features,
        InputNormalization(norm_type="global", update_until_epoch=2),
        LSTMEncoder(n_channels, 8),
        AttentiveStatisticsPooling(16, 8),
        ClassificationHead(32, 4, 8),
        reference_norm=reference_norm,
    )
    # Trained-like global statistics (one training step's worth).
    wavs, lens = _padded(_waveforms([16000, 12000], seed=1))
    with torch.no_grad():
        model.train()(wavs, lens, epoch=1)
    return model.eval()


def _assert_batch_equals_alone(model, wavs, per_frame=False):
    batch, lens = _padded(wavs)
    with torch.no_grad():
        together = model(batch, lens).exp()
        for i, wav in enumerate(wavs):
            alone = model(wav.unsqueeze(0)).exp()[0]
            got = together[i, : alone.shape[0]] if per_frame else together[i]
            torch.testing.assert_close(got, alone, atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("hop_ms", [10, 20])
def test_fbank_classifier_batch_equals_one_at_a_time(hop_ms):
    model = _classifier(Fbank(n_mels=20, hop_length=hop_ms), 20)
    _assert_batch_equals_alone(model, _waveforms(LENGTHS))


@pytest.mark.parametrize("noise_floor_db", [None, 25.0])
def test_default_emotion_features_batch_equal_one_at_a_time(noise_floor_db):
    """hparams/lstm.yaml's parts: FbankProsody, ReferenceNormalization."""
    features = FbankProsody(
        n_mels=20,
        hop_length=20,
        win_length=32,
        n_fft=512,
        noise_floor_db=noise_floor_db,
    )
    model = _classifier(features, 23, ReferenceNormalization(level_channels=20))
    _assert_batch_equals_alone(model, _waveforms([8000, 8319, 8320, 8321, 12345]))


def test_ctc_frames_batch_equal_one_at_a_time():
    """Also through the CRNN's time stride: ceil(frames / stride) frames."""
    torch.manual_seed(0)
    model = CTCModel(
        Fbank(n_mels=20, hop_length=10),
        InputNormalization(norm_type="sentence"),
        CRNNEncoder(20, [4, 4], hidden_size=8, time_stride=3, dnn_sizes=[16]),
        CTCHead(16, vocab_size=10),
    ).eval()
    _assert_batch_equals_alone(model, _waveforms(LENGTHS), per_frame=True)


@pytest.mark.parametrize(
    "features",
    [
        Fbank(n_mels=10, hop_length=10),
        Fbank(n_mels=10, hop_length=20, win_length=25, n_fft=511),
        CausalFbank(n_mels=10, hop_length=20, win_length=32, n_fft=512),
        FbankProsody(n_mels=10, hop_length=20, win_length=32, n_fft=512),
    ],
    ids=["fbank", "odd-n_fft", "causal", "prosody"],
)
def test_frame_count_is_what_the_features_give(features):
    lengths = [1, 159, 160, 161, 319, 320, 321, 511, 512, 8159, 8160]
    counts = frame_count(features, torch.tensor(lengths))
    with torch.no_grad():
        given = [features(torch.rand(1, n)).shape[1] for n in lengths]
    assert counts.tolist() == given


@pytest.mark.parametrize("num_samples", [16000, 160000, 1600000])
def test_every_frame_count_survives_the_relative_lengths(num_samples):
    """Both readers of relative lengths get the count back (ours: round;
    SpeechBrain's InputNormalization: ``make_padding_mask``, a ceiling)."""
    fbank = Fbank(n_mels=10, hop_length=10)
    frames = num_samples // 160 + 1
    samples = torch.unique(torch.linspace(1, num_samples, 3000).long())
    frame_lens = frame_lengths(fbank, samples / num_samples, num_samples, frames)
    counts = frame_count(fbank, samples)
    assert torch.equal(absolute_lengths(frame_lens, frames, len(samples)), counts)
    mask = make_padding_mask(torch.zeros(len(samples), frames), frame_lens)
    assert torch.equal(mask.sum(1), counts)


def test_features_without_a_frame_rule_keep_the_old_lengths():
    lens = torch.tensor([1.0, 0.51])
    assert frame_lengths(torch.nn.Identity(), lens, 16000, 101) is lens
    # A rule that does not give the padded batch's frames is not used.
    fbank = Fbank(n_mels=10, hop_length=10)
    assert torch.equal(frame_lengths(fbank, lens, 16000, 50), lens)
