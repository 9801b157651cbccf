"""The task models: one forward, the same in the Brain, inference, ONNX and bench.

Parity tests build the recipes' own YAML (tiny sizes) and compare, for the
same weights and input, what each user of the model computes. Where two
users run the very same code (the model's forward in the same process) the
comparison uses float32's own tolerance (torch.testing's defaults: rtol
1.3e-6, atol 1e-5), which still tells any different computation apart;
onnxruntime runs other kernels: 1e-4 on probabilities.
"""

import shutil
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import speechbrain as sb
import torch
from hyperpyyaml import load_hyperpyyaml
from recipe_runner import load_recipe
from speechbrain.dataio.batch import PaddedBatch
from speechbrain.dataio.encoder import CategoricalEncoder
from speechbrain.lobes.features import Fbank
from speechbrain.processing.features import InputNormalization

from speechbrain_lstm_ser.export.folder import exported_modules, save_module
from speechbrain_lstm_ser.export.onnx import (
    ClassifierOnnxGraph,
    export_onnx,
    onnx_session,
)
from speechbrain_lstm_ser.hub.legacy import accept_earlier_versions
from speechbrain_lstm_ser.inference import (
    CommandRecognizer,
    EmotionRecognizer,
    SpeechRecognizer,
)
from speechbrain_lstm_ser.nnet.encoders import CRNNEncoder, LSTMEncoder
from speechbrain_lstm_ser.nnet.heads import (
    ClassificationHead,
    CTCHead,
    EmotionClassifier,
)
from speechbrain_lstm_ser.nnet.models import (
    CTCModel,
    UtteranceClassifierModel,
    preprocess_waveforms,
)
from speechbrain_lstm_ser.nnet.normalization import SpeakerReferences
from speechbrain_lstm_ser.nnet.pooling import AttentiveStatisticsPooling
from speechbrain_lstm_ser.training.hparams import load_hparams, load_trained_modules
from speechbrain_lstm_ser.training.references import SpeakerReferenceSampler

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
TINY = {"n_mels": 20, "lstm_hidden": 8, "lstm_layers": 1}
ONNX_TOLERANCE = 1e-4
PROSODY_ONNX_TOLERANCE = 5e-3


def _speech_like(lengths, seed=0):
    """Noise bursts inside silence (the trimmer has something to trim)."""
    gen = torch.Generator().manual_seed(seed)
    wavs = []
    for n in lengths:
        wav = torch.zeros(n)
        start, stop = n // 8, n - n // 6
        envelope = torch.sin(torch.linspace(0, 12.0, stop - start)).abs()
        wav[start:stop] = 0.3 * envelope * torch.randn(stop - start, generator=gen)
        wavs.append(wav)
    return wavs


def _batch(wavs):
    return PaddedBatch([{"id": f"utt{i}", "sig": w} for i, w in enumerate(wavs)])


class Setup(SimpleNamespace):
    """A recipe's YAML, its Brain and a batch, with trained-like statistics."""


def _setup(task, yaml, brain_class, tmp_path, **overrides):
    hparams = load_hparams(
        ROOT / "hparams" / yaml,
        {**TINY, **overrides, "output_folder": str(tmp_path / task)},
    )
    brain = getattr(load_recipe(task), brain_class)(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts={"device": "cpu"},
    )
    batch = _batch(_speech_like([16000, 12000, 9000]))
    with torch.no_grad():  # global normalisation statistics, BatchNorm's too
        brain.modules.train()
        brain.compute_forward(batch, sb.Stage.VALID)
        brain.modules.eval()
        predictions = brain.compute_forward(batch, sb.Stage.TEST)
    return Setup(hparams=hparams, brain=brain, batch=batch, predictions=predictions)


@pytest.fixture(scope="module")
def emotion(tmp_path_factory):
    # Each utterance its own reference, as inference without a speaker; the
    # speaker-normalised forward has its own parity test below.
    return _setup(
        "emotion",
        "lstm.yaml",
        "EmotionBrain",
        tmp_path_factory.mktemp("e"),
        normalization_reference="utterance",
    )


@pytest.fixture(scope="module")
def commands(tmp_path_factory):
    return _setup(
        "commands", "commands_lstm.yaml", "CommandBrain", tmp_path_factory.mktemp("c")
    )


def _label_encoder(labels):
    encoder = CategoricalEncoder()
    encoder.update_from_iterable(labels)
    return encoder


# ------------------------------------------------------------ the models ----


def _tiny_classifier(hidden=6):
    return UtteranceClassifierModel(
        Fbank(n_mels=10),
        InputNormalization(norm_type="sentence"),
        LSTMEncoder(10, hidden),
        AttentiveStatisticsPooling(2 * hidden, 4),
        ClassificationHead(4 * hidden, 3, 8),
    ).eval()


def _tiny_ctc():
    return CTCModel(
        Fbank(n_mels=10),
        InputNormalization(norm_type="sentence"),
        CRNNEncoder(10, [4], hidden_size=6, time_stride=2, dnn_sizes=[8]),
        CTCHead(8, vocab_size=5),
    ).eval()


def test_shapes_and_default_lengths():
    wavs = torch.randn(2, 6000)
    classifier, ctc = _tiny_classifier(), _tiny_ctc()
    with torch.no_grad():
        log_probs = classifier(wavs, torch.ones(2))
        assert log_probs.shape == (2, 1, 3)
        assert torch.equal(classifier(wavs), log_probs)  # lens default: full
        assert classifier.embed(wavs).shape == (2, 1, 24)
        frames = ctc(wavs, torch.tensor([1.0, 0.5]))
        assert frames.shape == (2, 19, 6)  # 38 frames / time_stride 2, blank last
        assert torch.allclose(frames.exp().sum(-1), torch.ones(2, 19), atol=1e-5)


def test_padding_changes_nothing():
    model = _tiny_classifier()
    wav = torch.randn(1, 5000)
    padded = torch.cat([wav, torch.zeros(1, 3000)], dim=1)
    with torch.no_grad():
        alone = model(wav, torch.ones(1))
        in_batch = model(
            torch.cat([padded, torch.randn(1, 8000)]), torch.tensor([5 / 8, 1.0])
        )
    torch.testing.assert_close(in_batch[:1], alone)


def test_feature_augment_goes_between_normalisation_and_encoder():
    model = _tiny_classifier()
    seen = []

    def augment(feats):
        seen.append(feats.shape)
        return torch.zeros_like(feats)

    with torch.no_grad():
        out = model(torch.randn(2, 4000), torch.ones(2), feature_augment=augment)
        silent = model.forward_features(torch.zeros(2, 26, 10), torch.ones(2))
    assert seen == [(2, 26, 10)]
    assert torch.equal(out, silent)


def test_parts_are_the_single_list_of_modules():
    model = _tiny_classifier()
    assert list(model.parts()) == list(UtteranceClassifierModel.MODULES)
    rebuilt = UtteranceClassifierModel.from_modules({**model.parts(), "other": None})
    for name, part in model.parts().items():
        assert getattr(rebuilt, name) is part
    with pytest.raises(KeyError, match="pooling"):
        UtteranceClassifierModel.from_modules({"encoder": model.encoder})


def test_preprocessing_is_a_separate_optional_step():
    wavs, lens = torch.randn(2, 100), torch.ones(2)

    class Halve(torch.nn.Module):
        def forward(self, wavs, lens):
            return wavs[:, :50], lens

    assert preprocess_waveforms({}, wavs, lens)[0] is wavs
    assert preprocess_waveforms({"preprocess": Halve()}, wavs, lens)[0].shape == (2, 50)


@pytest.mark.parametrize(
    ("build", "legacy"),
    [
        (_tiny_classifier, ("encoder", "pooling", "classifier")),
        (_tiny_ctc, ("encoder", "ctc_head")),
    ],
)
def test_training_checkpoints_of_the_former_module_list_load(build, legacy):
    trained, fresh = build(), build()
    old = torch.nn.ModuleList([getattr(trained, name) for name in legacy])
    accept_earlier_versions([fresh])  # as the loaders do (hub.legacy)
    fresh.load_state_dict(old.state_dict(), strict=True)
    for name, value in trained.state_dict().items():
        assert torch.equal(fresh.state_dict()[name], value), name


def test_a_run_of_the_former_yaml_loads_as_a_task_model(tmp_path):
    yaml = (
        f"save_folder: {tmp_path}\n"
        "compute_features: !new:speechbrain.lobes.features.Fbank {n_mels: 10}\n"
        "mean_var_norm: !new:speechbrain.processing.features.InputNormalization\n"
        "    norm_type: sentence\n"
        "encoder: !new:speechbrain_lstm_ser.nnet.encoders.LSTMEncoder [10, 4]\n"
        "pooling: !new:speechbrain_lstm_ser.nnet.pooling.MeanPooling [8]\n"
        "classifier: !new:speechbrain_lstm_ser.nnet.heads.ClassificationHead\n"
        "    [8, 3, 4]\n"
        "modules: {compute_features: !ref <compute_features>,\n"
        "    mean_var_norm: !ref <mean_var_norm>, encoder: !ref <encoder>,\n"
        "    pooling: !ref <pooling>, classifier: !ref <classifier>}\n"
        "model: !new:torch.nn.ModuleList\n"
        "    - [!ref <encoder>, !ref <pooling>, !ref <classifier>]\n"
        "checkpointer: !new:speechbrain.utils.checkpoints.Checkpointer\n"
        "    checkpoints_dir: !ref <save_folder>\n"
        "    recoverables: {model: !ref <model>}\n"
    )
    path = tmp_path / "hyperparams.yaml"
    path.write_text(yaml)
    trained = load_hyperpyyaml(yaml)
    trained["checkpointer"].save_checkpoint(meta={"UA": 0.5})
    loaded = load_trained_modules(path)
    assert isinstance(loaded["model"], UtteranceClassifierModel)
    assert not loaded["model"].training
    for name in ("encoder", "pooling", "classifier"):
        for (key, a), b in zip(
            trained[name].state_dict().items(),
            getattr(loaded["model"], name).state_dict().values(),
            strict=True,
        ):
            assert torch.equal(a, b), f"{name}.{key}"


def test_classification_head_and_its_deprecated_name():
    with pytest.warns(DeprecationWarning, match="ClassificationHead"):
        old = EmotionClassifier(10, 3, hidden_size=8)
    assert isinstance(old, ClassificationHead)
    new = ClassificationHead(10, 3, hidden_size=8)
    new.load_state_dict(old.state_dict(), strict=True)  # the same layers


# ---------------------------------------------- parity between the users ----


def _classifier_interface(setup, cls, labels):
    modules = exported_modules(setup.hparams, UtteranceClassifierModel)
    hparams = {"sample_rate": 16000, "label_encoder": _label_encoder(labels)}
    return cls(modules=modules, hparams=hparams)


@pytest.mark.parametrize(
    ("task", "cls", "labels_key"),
    [
        ("emotion", EmotionRecognizer, "emotions"),
        ("commands", CommandRecognizer, "labels"),
    ],
)
def test_brain_and_inference_classify_alike(task, cls, labels_key, request):
    setup = request.getfixturevalue(task)
    interface = _classifier_interface(setup, cls, setup.hparams[labels_key])
    out_prob, _, index, _ = interface.classify_batch(*setup.batch.sig)
    brain = setup.predictions.squeeze(1)
    torch.testing.assert_close(out_prob, brain)  # the same forward: float32 ulps
    assert torch.equal(index, brain.argmax(-1))


def test_brain_and_inference_measure_against_a_speaker_alike(tmp_path):
    # Its own setup: a forward at epoch 0 updates the global normalisation
    # statistics, which the module's shared `emotion` setup must keep.
    setup = _setup(
        "emotion",
        "lstm.yaml",
        "EmotionBrain",
        tmp_path,
        normalization_reference="utterance",
    )
    model, brain = setup.hparams["model"], setup.brain
    batch = _batch(_speech_like([16000, 12000, 9000], seed=3))
    batch.spk_id = ["a", "a", "b"]
    refs = SpeakerReferences()
    with torch.no_grad():
        wavs, lens = preprocess_waveforms(setup.hparams["modules"], *batch.sig)
        refs.add_batch(batch.id, batch.spk_id, *model.reference_statistics(wavs, lens))
        brain.speaker_references = SpeakerReferenceSampler(seed=0)
        brain.speaker_references.references = {"test": refs}
        try:
            predictions = brain.compute_forward(batch, sb.Stage.TEST).squeeze(1)
        finally:
            brain.speaker_references = None
    interface = _classifier_interface(
        setup, EmotionRecognizer, setup.hparams["emotions"]
    )
    reference = refs.batch_reference(batch.spk_id)
    out_prob = interface.classify_batch(*batch.sig, reference=reference)[0]
    torch.testing.assert_close(out_prob, predictions)
    alone = interface.classify_batch(*batch.sig)[0]
    assert not torch.allclose(alone[:2], predictions[:2], atol=1e-4)


def test_commands_recipe_preprocesses_when_its_yaml_defines_it(tmp_path):
    # The commands YAML has no `preprocess`; once it names one, the Brain
    # runs it exactly as inference does.
    with_trimming = load_hparams(ROOT / "hparams" / "lstm.yaml", {**TINY})["preprocess"]
    setup = _setup("commands", "commands_lstm.yaml", "CommandBrain", tmp_path)
    setup.brain.modules["preprocess"] = with_trimming
    with torch.no_grad():
        trimmed = setup.brain.compute_forward(setup.batch, sb.Stage.TEST)
        wavs, lens = with_trimming(*setup.batch.sig)
        expected = setup.hparams["model"](wavs, lens)
    assert not torch.allclose(trimmed, setup.predictions)
    torch.testing.assert_close(trimmed, expected)


@pytest.mark.slow
def test_brain_and_onnx_classify_alike(emotion, tmp_path):
    graph = ClassifierOnnxGraph.from_model(emotion.hparams["model"])
    path = export_onnx(graph, tmp_path / "m.onnx")
    wavs, lens = preprocess_waveforms(emotion.hparams["modules"], *emotion.batch.sig)
    probs = onnx_session(path).run(
        None, {"wavs": wavs.numpy(), "wav_lens": lens.float().numpy()}
    )[0]
    brain = emotion.predictions.squeeze(1).exp().numpy()
    # These inputs hold digital silence (bursts inside exact zeros): there the
    # prosody's log-energy sits at its -100 dB floor, where PyTorch's and ONNX
    # Runtime's convolutions differ by up to 3e-4 dB, which this tiny untrained
    # model turns into about 2e-3 of probability (1e-4 without the prosody).
    assert np.abs(probs - brain).max() <= PROSODY_ONNX_TOLERANCE


def test_brain_and_bench_measure_alike(emotion):
    from bench.measure import _build

    args = SimpleNamespace(kind="train", device="cpu")
    predict, info = _build(args, emotion.hparams, None, None)
    probs = predict(*emotion.batch.sig)
    torch.testing.assert_close(probs, emotion.predictions.squeeze(1).exp())
    assert info["size_bytes"] > 0


class _Pieces:
    """The least of a sentencepiece tokenizer that SpeechRecognizer needs."""

    def __init__(self, size):
        self.size = size

    def get_piece_size(self):
        return self.size

    def id_to_piece(self, i):
        return f"p{i}"

    def decode_ids(self, ids):
        return " ".join(self.id_to_piece(i) for i in ids)


def test_brain_and_speech_recognizer_compute_alike(tmp_path):
    setup = _setup("asr", "asr_lstm.yaml", "ASRBrain", tmp_path, vocab_size=12)
    log_probs, lens = setup.predictions
    modules = exported_modules(setup.hparams, CTCModel)
    hparams = {"sample_rate": 16000, "tokenizer": _Pieces(12), "blank_index": 12}
    asr = SpeechRecognizer(modules=modules, hparams=hparams, decoding="greedy")
    got, got_lens = asr.encode_batch(*setup.batch.sig)
    assert got.shape == log_probs.shape and got.shape[-1] == 13
    torch.testing.assert_close(got, log_probs)
    torch.testing.assert_close(got_lens, lens)


# ------------------------------------------- folders exported before this ----


def test_a_folder_exported_before_the_task_models_loads(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    yaml = DATA / "exported_emotion_v1_hyperparams.yaml"
    shutil.copy(yaml, folder / "hyperparams.yaml")
    text = yaml.read_text()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        parts = load_hyperpyyaml(text[: text.index("\nmodules:\n")])
    # trained-like state: global statistics, a far from uniform head
    wavs = _speech_like([16000, 11000], seed=3)
    batch = _batch(wavs)
    with torch.no_grad():
        feats = parts["compute_features"](batch.sig[0])
        parts["mean_var_norm"](feats, batch.sig[1])
        parts["classifier"].output.weight.mul_(10)
    for name in (
        "compute_features",
        "mean_var_norm",
        "encoder",
        "pooling",
        "classifier",
    ):
        parts[name].eval()
        save_module(parts[name], folder / f"{name}.ckpt")
    # the head of that time had no temperature
    state = torch.load(folder / "classifier.ckpt", weights_only=True)
    del state["temperature"]
    torch.save(state, folder / "classifier.ckpt")
    labels = ["neutral", "happy", "sad", "angry"]
    _label_encoder(labels).save(folder / "label_encoder.ckpt")

    model = EmotionRecognizer.from_hparams(source=str(folder), savedir=tmp_path / "s")
    assert model.labels == labels
    assert float(model.model.classifier.temperature) == 1.0
    out_prob, _, _, _ = model.classify_batch(*batch.sig)
    with torch.no_grad():  # the forward as the code of that time wrote it
        w, lens = parts["preprocess"](*batch.sig)
        feats = parts["mean_var_norm"](parts["compute_features"](w), lens)
        encoded = parts["encoder"](feats, lens)
        expected = parts["classifier"](parts["pooling"](encoded, lens)).squeeze(1)
    torch.testing.assert_close(out_prob, expected)


def test_a_regression_head_shares_the_encoder_pass_and_leaves_forward_alone():
    from speechbrain_lstm_ser.nnet.heads import DimensionHead

    plain = _tiny_classifier()
    torch.manual_seed(0)
    model = UtteranceClassifierModel.from_modules(
        {**plain.parts(), "regressor": DimensionHead(24, hidden_size=8)}
    ).eval()
    assert list(model.parts()) == [*UtteranceClassifierModel.MODULES, "regressor"]
    assert list(plain.parts()) == list(UtteranceClassifierModel.MODULES)
    wavs, lens = torch.randn(2, 6000), torch.tensor([1.0, 0.7])
    with torch.no_grad():
        expected = plain(wavs, lens)  # the same parts without the regressor
    calls = []
    model.encoder.register_forward_hook(lambda *_: calls.append(1))
    with torch.no_grad():
        log_probs = model(wavs, lens)
        both = model(wavs, lens, with_dimensions=True)
        dims = model.dimensions(wavs, lens)
    assert torch.equal(log_probs, expected)  # forward: the classes
    assert calls == [1, 1, 1]  # one encoder pass for both outputs
    torch.testing.assert_close(both[0], log_probs)
    torch.testing.assert_close(both[1], dims)
    assert dims.shape == (2, 3) and bool(((dims > 0) & (dims < 1)).all())
    with pytest.raises(ValueError, match="no regressor"):
        plain.dimensions(wavs, lens)
