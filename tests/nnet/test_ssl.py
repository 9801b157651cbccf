"""The SSL front end: weighted layers, lengths, caching, export, clear errors.

Every test builds a tiny, randomly initialised model (2 layers of 32) in a
temporary folder: nothing is downloaded.
"""

import os
import subprocess
import sys
import textwrap

import pytest
import torch

pytest.importorskip("transformers")

from hub_cache import populate_hub_cache, run_offline  # noqa: E402

from speechbrain_lstm_ser.dataio.audio import write_audio  # noqa: E402
from speechbrain_lstm_ser.dataio.feature_cache import FeatureCache  # noqa: E402
from speechbrain_lstm_ser.nnet.ssl import (  # noqa: E402
    SSLLayerFeatures,
    SSLLoadError,
    save_tiny_ssl_model,
)

TOLERANCE = 1e-4  # float32, different batch shapes: not bit for bit


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return save_tiny_ssl_model(tmp_path_factory.mktemp("ssl") / "tiny")


@pytest.fixture(scope="module")
def tiny_layer_norm(tmp_path_factory):
    """A model whose convolutions are layer-normalised (exact under padding)."""
    from transformers import AutoConfig, AutoModel, Wav2Vec2FeatureExtractor

    folder = tmp_path_factory.mktemp("ssl") / "tiny_ln"
    config = AutoConfig.for_model(
        "wav2vec2",
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=[32] * 7,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        feat_extract_norm="layer",
        do_stable_layer_norm=True,
    )
    torch.manual_seed(1)
    AutoModel.from_config(config).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(return_attention_mask=True).save_pretrained(folder)
    return str(folder)


def test_shapes_layers_and_cached_input(tiny):
    ssl = SSLLayerFeatures(tiny, layers=[0, 2])
    wavs, lens = 0.1 * torch.randn(2, 12000), torch.tensor([1.0, 0.7])
    hidden = ssl.hidden_states(wavs, lens)
    assert hidden.shape == (2, 2, 37, 32)  # (batch, layers, frames, D)
    assert ssl(wavs, lens).shape == (2, 37, 32)
    assert torch.allclose(ssl(hidden, lens), ssl(wavs, lens), atol=TOLERANCE)
    assert sum(ssl.layer_weights_softmax().values()) == pytest.approx(1.0)


def test_level_invariant(tiny):
    ssl = SSLLayerFeatures(tiny)
    wav = 0.1 * torch.randn(1, 16000)
    assert torch.allclose(ssl(wav), ssl(8.0 * wav), atol=1e-3)


def test_padding_changes_nothing_with_layer_norm_convolutions(tiny_layer_norm):
    ssl = SSLLayerFeatures(tiny_layer_norm)
    short = 0.1 * torch.randn(1, 9600)
    alone = ssl(short)
    padded = torch.cat([short, torch.zeros(1, 6400)], dim=1)
    wavs = torch.cat([padded, 0.1 * torch.randn(1, 16000)])
    batch = ssl(wavs, torch.tensor([0.6, 1.0]))
    frames = alone.shape[1]
    assert torch.allclose(batch[:1, :frames], alone, atol=TOLERANCE)


def test_frozen_and_top_layers_finetuned(tiny):
    frozen = SSLLayerFeatures(tiny)
    assert frozen.frozen and not frozen.finetuned_parameters()
    assert [n for n, p in frozen.named_parameters() if p.requires_grad] == [
        "layer_weights"
    ]
    frozen.train()
    assert not frozen.ssl.model.training  # dropout off in the frozen model
    frozen(0.1 * torch.randn(1, 8000)).sum().backward()
    assert frozen.layer_weights.grad is not None

    tuned = SSLLayerFeatures(tiny, finetune_layers=1).train()
    top = tuned.ssl.model.encoder.layers[-1]
    assert top.training and not tuned.ssl.model.encoder.layers[0].training
    assert {id(p) for p in tuned.finetuned_parameters()} == {
        id(p) for p in top.parameters()
    }
    tuned(0.1 * torch.randn(1, 8000)).sum().backward()
    assert all(p.grad is not None for p in top.parameters() if p.dim() > 1)


def test_rebuilt_from_config_without_source(tiny):
    ssl = SSLLayerFeatures(tiny, layers=[1, 2]).eval()
    args = ssl.inference_arguments()
    assert args["source"] is None and "_name_or_path" not in args["config"]
    rebuilt = SSLLayerFeatures(config=args["config"], layers=[1, 2]).eval()
    rebuilt.load_state_dict(ssl.state_dict(), strict=True)
    wav = 0.1 * torch.randn(1, 8000)
    assert torch.allclose(rebuilt(wav), ssl(wav), atol=TOLERANCE)


@pytest.mark.slow
def test_clear_errors(tiny, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="--ssl_hidden_size 32"):
        SSLLayerFeatures(tiny, hidden_size=768)
    with pytest.raises(ValueError, match="hidden states 0 to 2"):
        SSLLayerFeatures(tiny, layers=[5])
    with pytest.raises(ValueError, match="finetune_layers must be 0 to 2"):
        SSLLayerFeatures(tiny, finetune_layers=3)
    with pytest.raises(SSLLoadError, match="HF_HUB_OFFLINE") as err:
        SSLLayerFeatures("nobody/no-such-model", save_path=str(tmp_path))
    assert "\n" not in str(err.value) and "local folder" in str(err.value)
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(SSLLoadError, match=r'pip install "\.\[ssl\]"'):
        SSLLayerFeatures(tiny)


@pytest.mark.slow
def test_hub_id_from_an_offline_cache(tiny, tmp_path):
    cache = tmp_path / "hub"
    populate_hub_cache(cache, "someone/tiny-wavlm", tiny)
    code = textwrap.dedent(
        """
        import torch
        from speechbrain_lstm_ser.nnet.ssl import SSLLayerFeatures
        ssl = SSLLayerFeatures("someone/tiny-wavlm")
        print(tuple(ssl(torch.zeros(1, 8000)).shape))
        """
    )
    proc = run_offline(code, cache)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "(1, 24, 32)" in proc.stdout


@pytest.mark.slow
def test_missing_transformers_is_one_line_in_the_recipe(tmp_path):
    """Without transformers the recipe ends with one line naming the fix."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "transformers.py").write_text("raise ImportError('no transformers')")
    env = {**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{os.getcwd()}"}
    proc = subprocess.run(
        [
            sys.executable,
            "recipes/emotion/train.py",
            "hparams/ssl_lstm.yaml",
            "--output_folder",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert 'pip install ".[ssl]"' in last and "Traceback" not in proc.stderr


def test_feature_cache_keys_and_parity(tiny, tmp_path):
    wav = tmp_path / "corpus" / "a.wav"
    wav.parent.mkdir()
    write_audio(wav, 0.1 * torch.randn(16000), 16000)
    ssl = SSLLayerFeatures(tiny, layers=[1, 2]).eval()
    cache = FeatureCache(tmp_path / "cache", ssl, dtype="float32")
    assert cache.build([wav, wav])["extracted"] == 1
    cached = cache.load(wav)  # (frames, layers, D)
    live = ssl.hidden_states(_read(wav))[0]
    assert torch.allclose(cached.transpose(0, 1), live, atol=TOLERANCE)
    half = FeatureCache(tmp_path / "cache", ssl)  # float16: another key
    other = FeatureCache(tmp_path / "cache", SSLLayerFeatures(tiny, layers=[2]))
    assert len({cache.folder, half.folder, other.folder}) == 3
    assert (cache.folder / "cache.json").is_file()
    with pytest.raises(ValueError, match="inside the corpus"):
        FeatureCache(tmp_path / "corpus" / "c", ssl, data_folders=[wav.parent])
    with pytest.raises(ValueError, match="frozen"):
        FeatureCache(tmp_path / "c", SSLLayerFeatures(tiny, finetune_layers=1))


def _read(path):
    from speechbrain_lstm_ser.dataio.audio import read_audio

    return read_audio(path, 16000)[None, :]


def test_onnx_export_refuses_in_one_line(tiny):
    from speechbrain_lstm_ser.export.onnx import ClassifierOnnxGraph
    from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
    from speechbrain_lstm_ser.nnet.heads import ClassificationHead
    from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
    from speechbrain_lstm_ser.nnet.pooling import MeanPooling
    from speechbrain_lstm_ser.nnet.ssl import LayerNormedFeatures

    model = UtteranceClassifierModel(
        SSLLayerFeatures(tiny),
        LayerNormedFeatures(),
        LSTMEncoder(32, 8),
        MeanPooling(16),
        ClassificationHead(16, 4, 8),
    )
    assert model(0.1 * torch.randn(2, 8000), torch.tensor([1.0, 0.5])).shape == (
        2,
        1,
        4,
    )
    with pytest.raises(ValueError, match="ONNX export does not support"):
        ClassifierOnnxGraph.from_model(model)
