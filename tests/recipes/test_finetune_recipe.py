"""Fine-tuning a published 4-class model on a 3-class corpus, offline through the Hub.

The emotion recipe's model (the session's ``trained`` run) is published to an
offline Hugging Face cache, then fine-tuned with ``--init_from <repo id>`` on
a folder corpus of three classes: two of its own (neutral, happy) and a new
one (bored).
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from hub_cache import populate_hub_cache

from speechbrain_lstm_ser.dataio.manifest import read_manifest

# Slow tier: trains from a published model.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REPO_ID = "testuser/ser-4class"
THREE = "[neutral, happy, bored]"
#: The folder corpus's classes, from the embedded corpus's.
RELABEL = {"neutral": "neutral", "happy": "happy", "sad": "bored"}


@pytest.fixture(scope="module")
def setting(trained, tmp_path_factory):
    base = tmp_path_factory.mktemp("finetune")
    cache = base / "hub"
    populate_hub_cache(cache, REPO_ID, trained.model)
    corpus = base / "corpus"
    genders = {}
    for row in read_manifest(trained.data / "corpus.csv"):
        if row["emo"] in RELABEL:
            source = Path(row["wav"].replace("$data_root", str(trained.data)))
            target = corpus / RELABEL[row["emo"]] / row["spk_id"] / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            genders[row["spk_id"]] = row["gender"]
    lines = ["spk_id,gender"] + [f"{s},{g}" for s, g in sorted(genders.items())]
    (corpus / "speakers.csv").write_text("\n".join(lines) + "\n")
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_CACHE": str(cache),
        "HF_HOME": str(base / "hf_home"),
    }
    return SimpleNamespace(base=base, corpus=corpus, env=env, trained=trained)


def _run(setting, out, **extra):
    args = setting.trained.run_args(
        setting.corpus,
        out,
        dataset="folder",
        emotions=THREE,
        number_of_epochs="1",
        **extra,
    )
    proc = subprocess.run(
        args, capture_output=True, text=True, env=setting.env, timeout=900
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _first_train_loss(out):
    # Full precision from the checkpointed history: train_log.txt rounds to
    # 3 significant digits (1.019 and 1.072 print as 1.02 and 1.07).
    (history,) = sorted((out / "save").glob("CKPT+*/history.ckpt"))[-1:]
    return float(json.loads(history.read_text())[0]["train_loss"])


def test_weights_at_step_0_are_the_published_ones(setting):
    """Before any training step: encoder, pooling, normaliser and shared rows."""
    overrides = {
        **setting.trained.overrides,  # its embedded corpus options are unused here
        "dataset": "folder",
        "data_folder": str(setting.corpus),
        "output_folder": str(setting.base / "step0"),
        "emotions": THREE,
        "init_from": REPO_ID,
    }
    code = textwrap.dedent(
        f"""
        import json, torch
        from speechbrain_lstm_ser.inference import EmotionRecognizer
        from speechbrain_lstm_ser.training.finetune import setup_finetuning
        from speechbrain_lstm_ser.training.hparams import load_hparams

        overrides = "\\n".join(f"{{k}}: {{v}}" for k, v in {overrides!r}.items())
        hparams = load_hparams({str(ROOT / "hparams" / "lstm.yaml")!r}, overrides)
        model = hparams["model"]
        fresh = model.classifier.output.weight.detach().clone()
        tuning = setup_finetuning(hparams)
        ref = EmotionRecognizer.from_hparams(
            source={REPO_ID!r}, savedir={str(setting.base / "ref")!r}
        ).model

        def same(a, b):
            sa, sb = a.state_dict(), b.state_dict()
            return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)

        new, old = model.classifier.output, ref.classifier.output
        print(json.dumps({{
            "encoder": same(model.encoder, ref.encoder),
            "pooling": same(model.pooling, ref.pooling),
            "hidden": same(model.classifier.hidden, ref.classifier.hidden),
            "normaliser": torch.equal(model.mean_var_norm.glob_mean,
                                      ref.mean_var_norm.glob_mean),
            "neutral": torch.equal(new.weight[0], old.weight[0])
                and torch.equal(new.bias[0], old.bias[0]),
            "happy": torch.equal(new.weight[1], old.weight[1])
                and torch.equal(new.bias[1], old.bias[1]),
            "bored_is_fresh": torch.equal(new.weight[2], fresh[2]),
            "facts": tuning.facts,
        }}))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=setting.env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    facts = result.pop("facts")
    assert all(result.values()), result
    assert facts["source"] == REPO_ID
    assert facts["labels_copied"] == ["neutral", "happy"]
    assert facts["labels_new"] == ["bored"]


def test_fine_tuning_starts_from_the_published_model(setting):
    tuned, scratch = setting.base / "tuned", setting.base / "scratch"
    _run(
        setting,
        tuned,
        init_from=REPO_ID,
        freeze_encoder_epochs="1",
        pretrained_lr_scale="0.5",
    )
    _run(setting, scratch)
    # Same seed, same data: the published model starts ahead. The session's
    # tiny model (3 epochs, 72 utterances) gives a small head start: 0.027
    # (1.074 against 1.101) since the default gates voicing over the noise
    # level, over 0.05 before; from scratch both runs would be the same.
    assert _first_train_loss(tuned) < _first_train_loss(scratch) - 0.02
    report = json.loads((tuned / "test_report.json").read_text())
    assert report["init_from"]["source"] == REPO_ID
    assert report["init_from"]["labels_new"] == ["bored"]
    assert report["init_from"]["freeze_encoder_epochs"] == 1
    assert json.loads((scratch / "test_report.json").read_text())["init_from"] is None
    # frozen during its only epoch: the exported encoder is the published one
    published = setting.trained.model
    for part, frozen in (("encoder", True), ("pooling", False)):
        mine = torch.load(tuned / "model" / f"{part}.ckpt", weights_only=True)
        theirs = torch.load(published / f"{part}.ckpt", weights_only=True)
        same = all(torch.equal(mine[k], theirs[k]) for k in theirs)
        assert same is frozen, part
    card = (tuned / "model" / "README.md").read_text()
    assert f"Fine-tuned from `{REPO_ID}`" in card
