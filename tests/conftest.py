"""Shared fixtures: small generated corpora and fixed seeds."""

import os

import pytest
import torch

# Two cores on CI machines: keep torch from oversubscribing them.
torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    """A 6-speaker embedded corpus (72 utterances), generated once per session."""
    from speechbrain_lstm_ser.dataio.synthetic.emotion import (
        EmbeddedCorpusOptions,
        generate_embedded_corpus,
    )

    folder = tmp_path_factory.mktemp("corpus") / "embedded"
    options = EmbeddedCorpusOptions(num_speakers=6, utterances_per_emotion=3)
    generate_embedded_corpus(folder, options)
    return folder, options
