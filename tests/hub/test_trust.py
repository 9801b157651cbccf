"""Signed models, tampering, hostile YAML and pickles: nothing unverified runs."""

import logging
import os
import pickle
import shutil
import subprocess
import sys
import textwrap

import pytest
import speechbrain.inference.interfaces as sb_interfaces
import torch
from hub_cache import populate_hub_cache
from recipe_runner import ROOT, recipe_args, run_cli

from speechbrain_lstm_ser.hub.safe_yaml import UnsafeModelError
from speechbrain_lstm_ser.hub.signing import (
    SIGNATURE_FILE,
    SignatureError,
    load_public_key,
    sign_folder,
    verify_folder,
)
from speechbrain_lstm_ser.inference import EmotionRecognizer
from speechbrain_lstm_ser.publish import PublishError, publish

REPO_ID = "testuser/signed-ser"


@pytest.fixture
def signed(trained, keys, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(trained.model, folder)
    sign_folder(folder, keys / "alice.pem")
    return folder


@pytest.fixture
def construction_spy(monkeypatch):
    """Records whether SpeechBrain got as far as reading the YAML into objects."""
    calls = []
    real = sb_interfaces.load_hyperpyyaml

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(sb_interfaces, "load_hyperpyyaml", spy)
    return calls


def test_signed_model_loads_with_pinned_key(signed, keys):
    result = verify_folder(signed, [load_public_key(keys / "alice.pem.pub")])
    assert result.signed and result.trusted
    assert "encoder.ckpt" in result.files and SIGNATURE_FILE not in result.files
    model = EmotionRecognizer.from_hparams(
        source=str(signed), verify="required", trusted_keys=[keys / "alice.pem.pub"]
    )
    assert model.classify_file(str(signed / "example.wav"))[3][0] in model.labels


def _flip_middle_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "tamper, culprit",
    [
        (
            lambda f: _flip_middle_byte(f / "encoder.ckpt"),
            "encoder.ckpt: content changed",
        ),
        (
            lambda f: f.joinpath("hyperparams.yaml").write_text(
                f.joinpath("hyperparams.yaml").read_text() + "\n# edited\n"
            ),
            "hyperparams.yaml: content",
        ),
        (lambda f: f.joinpath("pooling.ckpt").unlink(), "pooling.ckpt: missing"),
        (
            lambda f: f.joinpath("extra.py").write_text("import os"),
            "extra.py: not covered",
        ),
    ],
    ids=["changed-byte", "edited-yaml", "missing-file", "extra-file"],
)
def test_tampered_model_is_refused_before_anything_is_built(
    signed, keys, tamper, culprit, construction_spy
):
    tamper(signed)
    for verify, trusted in (("auto", []), ("required", [keys / "alice.pem.pub"])):
        with pytest.raises(SignatureError) as info:
            EmotionRecognizer.from_hparams(
                source=str(signed), verify=verify, trusted_keys=trusted
            )
        assert culprit in str(info.value)
    assert construction_spy == []


def test_wrong_key_and_unsigned(signed, trained, keys, construction_spy, caplog):
    with pytest.raises(SignatureError, match="not among the trusted keys"):
        EmotionRecognizer.from_hparams(
            source=str(signed),
            verify="required",
            trusted_keys=[keys / "mallory.pem.pub"],
        )
    with pytest.raises(SignatureError, match="not signed"):
        EmotionRecognizer.from_hparams(
            source=str(trained.model),
            verify="required",
            trusted_keys=[keys / "alice.pem.pub"],
        )
    assert construction_spy == []
    with pytest.raises(ValueError, match="needs trusted_keys"):
        EmotionRecognizer.from_hparams(source=str(signed), verify="required")
    with caplog.at_level(logging.WARNING):
        EmotionRecognizer.from_hparams(source=str(trained.model))
    assert "not signed" in caplog.text
    # a forged signature (file list edited, signature kept) is refused too
    doc = (
        (signed / SIGNATURE_FILE).read_text().replace('"example.wav"', '"example2.wav"')
    )
    (signed / SIGNATURE_FILE).write_text(doc)
    with pytest.raises(SignatureError, match="does not match"):
        EmotionRecognizer.from_hparams(source=str(signed))


HOSTILE = {
    "apply-os-system": "evil: !apply:os.system ['touch {marker}']\n",
    "new-os-system": "evil: !new:os.system ['touch {marker}']\n",
    "name-subprocess": "evil: !name:subprocess.run\n",
    "python-tag": "evil: !!python/object/apply:os.system ['touch {marker}']\n",
    "include": "evil: !include:../../../etc/passwd\n",
    "module": "evil: !module:os\n",
    "speechbrain-shell": (
        "evil: !apply:speechbrain.utils.superpowers.run_shell ['touch {marker}']\n"
    ),
    "speechbrain-function": "evil: !new:speechbrain.utils.superpowers.run_shell\n",
    "absolute-path": "collect: /etc/cron.d\n",
    "parent-path": "where: ../../outside\n",
}


@pytest.mark.parametrize("payload", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_yaml_is_refused_even_when_signed(
    trained, keys, tmp_path, payload, construction_spy
):
    folder = tmp_path / "model"
    shutil.copytree(trained.model, folder)
    marker = tmp_path / "PWNED"
    yaml = (folder / "hyperparams.yaml").read_text()
    (folder / "hyperparams.yaml").write_text(
        HOSTILE[payload].format(marker=marker) + yaml
    )
    sign_folder(folder, keys / "alice.pem")  # a trusted signer does not make it safe
    with pytest.raises(UnsafeModelError) as info:
        EmotionRecognizer.from_hparams(
            source=str(folder), verify="required", trusted_keys=[keys / "alice.pem.pub"]
        )
    assert (
        "evil" in str(info.value)
        or "collect" in str(info.value)
        or "where" in str(info.value)
    )
    assert not marker.exists()
    assert construction_spy == []


def test_pretrainer_paths_are_refused(trained, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(trained.model, folder)
    yaml = (folder / "hyperparams.yaml").read_text()
    yaml = yaml.replace(
        "    loadables:\n",
        "    paths:\n"
        "        encoder: other-user/other-repo/encoder.ckpt\n"
        "    loadables:\n",
    )
    (folder / "hyperparams.yaml").write_text(yaml)
    with pytest.raises(UnsafeModelError, match="pretrainer.paths"):
        EmotionRecognizer.from_hparams(source=str(folder))


class _Pwn:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickled_code_in_weights_never_runs(trained, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(trained.model, folder)
    marker = tmp_path / "PWNED"
    state = torch.load(folder / "classifier.ckpt", weights_only=True)
    state["evil"] = _Pwn(marker)
    with open(folder / "classifier.ckpt", "wb") as handle:
        torch.save(state, handle, pickle_module=pickle)
    # even with torch's escape hatch set in the environment
    code = textwrap.dedent(
        f"""
        from speechbrain_lstm_ser.inference import EmotionRecognizer
        try:
            EmotionRecognizer.from_hparams(source={str(folder)!r})
        except Exception as err:
            print("refused:", type(err).__name__)
        """
    )
    env = {**os.environ, "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert "refused: UnsafeCheckpointError" in proc.stdout, proc.stdout + proc.stderr
    assert not marker.exists()


@pytest.mark.slow
def test_signed_hub_repo_offline(signed, keys, tmp_path):
    # as huggingface_hub lays it out: snapshots/<rev>/<name> -> ../../blobs/<sha>
    snapshot = populate_hub_cache(tmp_path / "hub", REPO_ID, signed, blobs=True)
    extra = snapshot / "unlisted.bin"
    extra.write_bytes(b"never fetched")  # not in the manifest: never fetched
    code = textwrap.dedent(
        f"""
        from speechbrain_lstm_ser.inference.load import load_model
        model = load_model(
            {REPO_ID!r},
            savedir={str(tmp_path / "saved")!r},
            verify="required",
            trusted_keys=[{str(keys / "alice.pem.pub")!r}],
        )
        print("loaded", type(model).__name__)
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")}
    run = lambda: subprocess.run(  # noqa: E731
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    proc = run()
    assert "loaded EmotionRecognizer" in proc.stdout, proc.stderr[-2000:]
    assert not (tmp_path / "saved" / "unlisted.bin").exists()
    # tamper with the cached copy: refused, naming the file
    ckpt = snapshot / "classifier.ckpt"
    ckpt.write_bytes(ckpt.read_bytes() + b"\x00")
    proc = run()
    assert proc.returncode != 0
    assert "classifier.ckpt: content changed" in proc.stderr
    # a snapshot link that leaves the repository (not into its blobs): refused
    secret = tmp_path / "secret.txt"
    secret.write_text("'angry' => 0\n")
    (snapshot / "label_encoder.ckpt").unlink()
    (snapshot / "label_encoder.ckpt").symlink_to(secret)
    proc = run()
    assert proc.returncode != 0
    assert "label_encoder.ckpt: a symbolic link to" in proc.stderr


@pytest.mark.slow
def test_cli_keys_round_trip(trained, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(trained.model, folder)

    assert run_cli("keygen", str(tmp_path / "me.pem")).returncode == 0
    assert (
        run_cli("keygen", str(tmp_path / "me.pem")).returncode == 1
    )  # never overwritten
    assert (
        run_cli("sign", str(folder), "--key", str(tmp_path / "me.pem")).returncode == 0
    )
    ok = run_cli("verify", str(folder), "--trusted-key", str(tmp_path / "me.pem.pub"))
    assert ok.returncode == 0 and "pinned key" in ok.stdout
    (folder / "label_encoder.ckpt").write_text("'angry' => 0\n'sad' => 1\n")
    bad = run_cli("verify", str(folder), "--trusted-key", str(tmp_path / "me.pem.pub"))
    assert bad.returncode == 1 and "label_encoder.ckpt: content changed" in bad.stderr
    example = str(folder / "example.wav")
    pred = run_cli(
        "predict",
        "--model",
        str(folder),
        "--verify",
        "required",
        "--trusted-key",
        str(tmp_path / "me.pem.pub"),
        example,
    )
    assert pred.returncode == 2 and "label_encoder.ckpt" in pred.stderr


class _FakeApi:
    def __init__(self):
        self.uploaded = None

    def create_repo(self, **kwargs):
        pass

    def upload_folder(self, folder_path, **kwargs):
        self.uploaded = verify_folder(folder_path, [self.key])
        self.card = open(os.path.join(folder_path, "README.md")).read()


def test_publish_signs_the_upload(signed, keys, trained):
    api = _FakeApi()
    api.key = load_public_key(keys / "alice.pem.pub")
    with pytest.raises(PublishError, match="--sign-key"):
        publish(signed, REPO_ID, api=api)  # would upload a broken signature
    publish(signed, REPO_ID, api=api, sign_key=keys / "alice.pem")
    assert api.uploaded.signed and api.uploaded.trusted
    assert "README.md" in api.uploaded.files and REPO_ID in api.card


@pytest.mark.slow  # two recipe processes
def test_distillation_refuses_an_untrusted_teacher(trained, signed, keys, tmp_path):
    """recipes/emotion/distill.py checks a teacher folder as inference does."""

    def distill(teacher, pinned):
        options = {
            "teacher": teacher,
            "teacher_trusted_keys": f"[{keys / pinned}]",
            "output_folder": tmp_path / "student",
            "data_folder": tmp_path / "none",
        }
        args = recipe_args(
            ROOT / "recipes" / "emotion" / "distill.py",
            ROOT / "hparams" / "lstm.yaml",
            options,
        )
        return subprocess.run(args, capture_output=True, text=True, timeout=300)

    unsigned = distill(trained.model, "alice.pem.pub")
    assert unsigned.returncode != 0
    assert "cannot load the teacher" in unsigned.stderr
    assert "not signed" in unsigned.stderr and "Traceback" not in unsigned.stderr
    foreign = distill(signed, "mallory.pem.pub")
    assert foreign.returncode != 0 and "not among the trusted keys" in foreign.stderr
    assert not (tmp_path / "student").exists()  # refused before any run started
