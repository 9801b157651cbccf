"""Fixtures of the hub tests: signing keys."""

import pytest

from speechbrain_lstm_ser.hub.signing import generate_keypair


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """A folder with two key pairs: ``alice.pem`` and ``mallory.pem`` (and .pub)."""
    folder = tmp_path_factory.mktemp("keys")
    generate_keypair(folder / "alice.pem")
    generate_keypair(folder / "mallory.pem")
    return folder
