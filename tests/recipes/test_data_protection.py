"""Nothing identifying the training data leaves in models or (on request) reports."""

import csv
import json
import os
import subprocess

import pytest

from speechbrain_lstm_ser.evaluation.privacy import Pseudonymizer, load_or_create_salt

# Slow tier: trains recipes with pseudonyms and encryption.
pytestmark = pytest.mark.slow


def _corpus_facts(trained):
    with open(trained.data / "corpus.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return (
        {r["spk_id"] for r in rows},
        {r["text"] for r in rows},
        {r["ID"] for r in rows},
    )


def _assert_no_training_data(folder, trained, paths_too):
    speakers, texts, utterances = _corpus_facts(trained)
    secrets = sorted(texts) + sorted(utterances)
    if paths_too:
        secrets += [str(trained.data), str(trained.out), os.path.expanduser("~")]
    for path in sorted(folder.iterdir()):
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, (path.name, secret)
        if (
            path.suffix in (".yaml", ".md", ".json")
            or path.name == "label_encoder.ckpt"
        ):
            text = data.decode("utf-8")
            words = set(
                text.replace(",", " ").replace("|", " ").replace('"', " ").split()
            )
            assert not words & speakers, (path.name, words & speakers)


def test_model_folder_holds_no_training_data(trained):
    # The local export's card shows its own folder (so its snippet runs as
    # written); nothing in it names a speaker, a transcript or an utterance.
    _assert_no_training_data(trained.model, trained, paths_too=False)


class _CapturingApi:
    def create_repo(self, **kwargs):
        pass

    def upload_folder(self, folder_path, **kwargs):
        import shutil

        shutil.copytree(folder_path, self.target)


def test_published_folder_holds_no_training_data_or_paths(trained, tmp_path):
    from speechbrain_lstm_ser.publish import publish

    api = _CapturingApi()
    api.target = tmp_path / "uploaded"
    publish(trained.model, "someone/ser", api=api)
    _assert_no_training_data(api.target, trained, paths_too=True)


def test_salted_pseudonyms():
    a, b = Pseudonymizer("one", "spk-"), Pseudonymizer("two", "spk-")
    assert a("f01") == a("f01") != b("f01")
    assert a("f01").startswith("spk-") and "f01" not in a("f01")
    assert Pseudonymizer(None).many(["f01"]) == ["f01"]


def test_salt_is_private_and_reused(tmp_path):
    salt = load_or_create_salt(tmp_path / "salt.txt")
    assert oct((tmp_path / "salt.txt").stat().st_mode & 0o777) == "0o600"
    assert load_or_create_salt(tmp_path / "salt.txt") == salt and len(salt) == 32


def test_reports_can_be_pseudonymised(trained, tmp_path):
    out = tmp_path / "out"
    args = trained.run_args(
        trained.data,
        out,
        skip_prep="True",
        manifest_folder=str(trained.out / "manifests"),
        number_of_epochs="1",
        pseudonymize_speakers="True",
    )
    proc = subprocess.run(args, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    speakers, _, utterances = _corpus_facts(trained)
    report = json.loads((out / "test_report.json").read_text())
    assert report["by_speaker"] and all(
        k.startswith("spk-") for k in report["by_speaker"]
    )
    with open(out / "predictions.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(r["ID"].startswith("utt-") for r in rows)
    assert not {r["speaker"] for r in rows} & speakers
    written = (out / "test_report.json").read_text() + (
        out / "predictions.csv"
    ).read_text()
    assert not any(u in written for u in utterances)
    salt = out / "save" / "pseudonym_salt.txt"
    assert oct(salt.stat().st_mode & 0o777) == "0o600"
    # the same salt gives the same pseudonyms: per-speaker results stay comparable
    pseudo = Pseudonymizer(salt.read_text().strip(), "spk-")
    assert set(report["by_speaker"]) <= {pseudo(s) for s in speakers}
