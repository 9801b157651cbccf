"""Trust that holds (issue 22): pinned keys fail closed; ``verify`` wants them.

With any key pinned (``trusted_keys=``, ``--trusted-key``, ``init_from_trusted_keys``
or the trust store ``$SB_LSTM_SER_TRUSTED_KEYS``), a missing, unreadable or
foreign signature refuses the load, before anything is built; the folders here
are never trained (see ``fake_model.py``): every refusal comes first.
"""

import logging

import pytest
import torch
from fake_model import fake_model

from speechbrain_lstm_ser.cli import main
from speechbrain_lstm_ser.hub.load import (
    TRUST_STORE_ENV,
    UnsafeCheckpointError,
    materialize,
    verify_model,
    weights_only_loading,
)
from speechbrain_lstm_ser.hub.signing import (
    SIGNATURE_FILE,
    SignatureError,
    sign_folder,
)
from speechbrain_lstm_ser.inference import EmotionRecognizer
from speechbrain_lstm_ser.inference.load import load_model
from speechbrain_lstm_ser.training.finetune import load_published


@pytest.fixture(autouse=True)
def _no_store(monkeypatch):
    monkeypatch.delenv(TRUST_STORE_ENV, raising=False)


def _flip(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _unsigned(folder, keys):
    (folder / SIGNATURE_FILE).unlink()


def _foreign(folder, keys):
    _flip(folder / "encoder.ckpt")
    (folder / SIGNATURE_FILE).unlink(missing_ok=True)
    sign_folder(folder, keys / "mallory.pem")


def _garbage(folder, keys):
    (folder / SIGNATURE_FILE).write_text("{not json")


def _directory(folder, keys):
    (folder / SIGNATURE_FILE).unlink()
    (folder / SIGNATURE_FILE).mkdir()


SITUATIONS = {
    "signature-deleted": (_unsigned, "not signed"),
    "tampered-and-re-signed": (_foreign, "not among the trusted keys"),
    "unreadable-signature": (_garbage, "unreadable"),
    "signature-is-a-folder": (_directory, "unreadable"),
}


@pytest.fixture
def signed(tmp_path, keys):
    folder = fake_model(tmp_path / "model")
    sign_folder(folder, keys / "alice.pem")
    return folder


def _loaders(keys):
    alice = keys / "alice.pem.pub"
    return {
        "from_hparams": lambda f, k=(alice,): EmotionRecognizer.from_hparams(
            source=str(f), trusted_keys=k
        ),
        "load_model": lambda f, k=(alice,): load_model(f, trusted_keys=k),
        "init_from": lambda f, k=(alice,): load_published(f, trusted_keys=k),
    }


@pytest.mark.parametrize("situation", list(SITUATIONS), ids=list(SITUATIONS))
def test_a_pinned_key_refuses_a_missing_unreadable_or_foreign_signature(
    situation, signed, keys, monkeypatch, capsys
):
    tamper, reason = SITUATIONS[situation]
    tamper(signed, keys)
    for name, load in _loaders(keys).items():
        with pytest.raises(SignatureError, match=reason) as info:
            load(signed)
        assert "\n" not in str(info.value), name
    # the trust store pins the key as well as an argument does
    monkeypatch.setenv(TRUST_STORE_ENV, str(keys / "alice.pem.pub"))
    for load in _loaders(keys).values():
        with pytest.raises(SignatureError, match=reason):
            load(signed, ())
    wav = str(signed / "x.wav")
    assert main(["predict", "--model", str(signed), wav]) == 2
    monkeypatch.delenv(TRUST_STORE_ENV)
    status = main(
        [
            "predict",
            "--model",
            str(signed),
            "--trusted-key",
            str(keys / "alice.pem.pub"),
        ]
        + [wav]
    )
    assert status == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(reason in line for line in errors), errors


def test_without_a_pinned_key_unsigned_still_loads_with_a_warning(signed, keys, caplog):
    (signed / SIGNATURE_FILE).unlink()
    with caplog.at_level(logging.WARNING):
        result = verify_model(signed)
    assert result is not None and not result.signed and "not signed" in caplog.text
    _foreign(signed, keys)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        result = verify_model(signed)  # re-signed by anyone: intact, not trusted
    assert result.signed and not result.trusted and "not pinned" in caplog.text
    # an unreadable signature is refused even with no key pinned
    _garbage(signed, keys)
    with pytest.raises(SignatureError, match="unreadable"):
        verify_model(signed)


def test_verify_off_and_a_broken_trust_store_are_refused(signed, keys, monkeypatch):
    with pytest.raises(ValueError, match="verify='off' while keys are pinned"):
        verify_model(signed, "off", [keys / "alice.pem.pub"])
    monkeypatch.setenv(TRUST_STORE_ENV, str(keys / "alice.pem.pub"))
    with pytest.raises(ValueError, match="verify='off' while keys are pinned"):
        EmotionRecognizer.from_hparams(source=str(signed), verify="off")
    assert verify_model(signed).trusted  # the store's key signed it
    monkeypatch.setenv(TRUST_STORE_ENV, str(keys / "missing.pub"))
    with pytest.raises(ValueError, match="missing.pub does not exist"):
        verify_model(signed)
    monkeypatch.setenv(TRUST_STORE_ENV, str(keys))  # a folder: every .pub in it
    assert verify_model(signed).trusted


def test_verify_exits_non_zero_unless_the_signer_is_pinned(
    signed, keys, monkeypatch, capsys
):
    alice = str(keys / "alice.pem.pub")
    assert main(["verify", str(signed), "--trusted-key", alice]) == 0
    assert "pinned key" in capsys.readouterr().out
    assert main(["verify", str(signed)]) == 1  # intact, but nobody pinned
    assert "not pinned" in capsys.readouterr().err
    monkeypatch.setenv(TRUST_STORE_ENV, alice)
    assert main(["verify", str(signed)]) == 0
    assert "pinned key" in capsys.readouterr().out
    monkeypatch.delenv(TRUST_STORE_ENV)
    _foreign(signed, keys)  # flip a byte, delete the signature, sign with mallory
    assert main(["verify", str(signed)]) == 1
    assert main(["verify", str(signed), "--trusted-key", alice]) == 1
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("error: ") == 2
    assert main(["verify", str(signed), "--allow-unpinned"]) == 0
    out = capsys.readouterr()
    assert "UNPINNED SIGNER" in out.out and "anyone can re-sign" in out.err
    (signed / SIGNATURE_FILE).unlink()
    assert main(["verify", str(signed), "--allow-unpinned"]) == 1


def test_sign_into_a_signature_folder_is_one_line(signed, keys, capsys):
    _directory(signed, keys)
    assert main(["sign", str(signed), "--key", str(keys / "alice.pem")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "not a regular file" in err
    assert "\n" not in err
    assert [p.name for p in signed.iterdir() if p.name.startswith(".")] == []


def test_a_missing_local_folder_is_named_as_one(tmp_path, capsys):
    missing = tmp_path / "no" / "such" / "model"
    for source in (missing, "./results/model", "~/models/ser"):
        with pytest.raises(FileNotFoundError, match="no such model folder"):
            materialize(source)
    assert main(["predict", "--model", str(missing), str(tmp_path / "x.wav")]) == 2
    err = capsys.readouterr().err
    assert "no such model folder" in err and "Repo id" not in err
    assert err.count("\n") == 1
    (tmp_path / "file.ckpt").write_text("x")
    with pytest.raises(NotADirectoryError, match="not a model folder"):
        materialize(tmp_path / "file.ckpt")


class _Evil:
    def __reduce__(self):
        return (print, ("never printed",))


def test_a_pickled_checkpoint_is_refused_in_one_line_of_ours(tmp_path, capsys):
    path = tmp_path / "classifier.ckpt"
    torch.save({"w": torch.zeros(2), "evil": _Evil()}, path)
    with weights_only_loading():
        with pytest.raises(UnsafeCheckpointError) as info:
            torch.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: refused") and "\n" not in message
    assert "weights_only=False" not in message
    assert "never printed" not in capsys.readouterr().out
