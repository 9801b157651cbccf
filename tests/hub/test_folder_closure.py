"""Model folders stay closed: no file may lead out of the folder (issue 22).

Loading, signing and verifying refuse a symbolic link that resolves outside
the model folder, a symlinked sub-folder, a hard link and a special file,
with one line naming the file; links inside the folder and the Hugging Face
Hub cache's own links (``snapshots/<rev>/<name> -> ../../blobs/<hash>``, and
SpeechBrain's ``savedir`` links to them) still work.
"""

import os
import shutil

import pytest
from fake_model import fake_model
from hub_cache import populate_hub_cache

from speechbrain_lstm_ser.cli import main
from speechbrain_lstm_ser.hub.closure import FolderClosureError, check_closed
from speechbrain_lstm_ser.hub.load import materialize
from speechbrain_lstm_ser.hub.signing import (
    SIGNATURE_FILE,
    generate_keypair,
    sign_folder,
    verify_folder,
)
from speechbrain_lstm_ser.inference import EmotionRecognizer
from speechbrain_lstm_ser.inference.load import load_model


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "alice.pem"
    generate_keypair(path)
    return path


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "outside" / "shadow"
    path.parent.mkdir()
    path.write_text("root:$6$secret\n")
    return path


def _link_out(name):
    def tamper(folder, secret):
        (folder / name).unlink(missing_ok=True)
        (folder / name).symlink_to(secret)

    return tamper


def _symlinked_folder(folder, secret):
    (folder / "ssl").symlink_to(secret.parent, target_is_directory=True)


def _hard_link(folder, secret):
    (folder / "encoder.ckpt").unlink()
    os.link(secret, folder / "encoder.ckpt")


def _fifo(folder, secret):
    os.mkfifo(folder / "classifier.ckpt.fifo")


def _broken(folder, secret):
    (folder / "classifier.ckpt").unlink()
    (folder / "classifier.ckpt").symlink_to(folder / "nowhere")


def _relative_climb(folder, secret):
    (folder / "label_encoder.ckpt").unlink()
    (folder / "label_encoder.ckpt").symlink_to(os.path.relpath(secret, folder))


BAD = {
    "label-encoder-to-shadow": (_link_out("label_encoder.ckpt"), "label_encoder.ckpt"),
    "hyperparams-out": (_link_out("hyperparams.yaml"), "hyperparams.yaml"),
    "encoder-out": (_link_out("encoder.ckpt"), "encoder.ckpt"),
    "relative-climb": (_relative_climb, "label_encoder.ckpt"),
    "symlinked-folder": (_symlinked_folder, "ssl: a symlinked folder"),
    "hard-link": (_hard_link, "encoder.ckpt: a hard link"),
    "fifo": (_fifo, "classifier.ckpt.fifo: not a regular file"),
    "broken-link": (_broken, "classifier.ckpt: a broken"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_files_leaving_the_folder_are_refused_everywhere(
    case, tmp_path, secret, key, capsys
):
    tamper, culprit = BAD[case]
    folder = fake_model(tmp_path / "model")
    tamper(folder, secret)
    for action in (
        check_closed,
        verify_folder,
        lambda f: sign_folder(f, key),
        lambda f: materialize(f),
        lambda f: EmotionRecognizer.from_hparams(source=str(f), verify="off"),
        lambda f: load_model(f),
    ):
        with pytest.raises(FolderClosureError) as info:
            action(folder)
        assert culprit in str(info.value)
        assert "\n" not in str(info.value)
    assert not (folder / SIGNATURE_FILE).exists()  # nothing was signed
    assert main(["sign", str(folder), "--key", str(key)]) == 1
    assert main(["verify", str(folder)]) == 1
    assert main(["predict", "--model", str(folder), str(tmp_path / "x.wav")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3, errors
    assert all(line.startswith("error: ") and culprit in line for line in errors)


def test_links_inside_the_folder_are_fine(tmp_path, key):
    folder = fake_model(tmp_path / "model")
    (folder / "sub").mkdir()
    (folder / "sub" / "copy.ckpt").symlink_to("../encoder.ckpt")
    (folder / "alias.ckpt").symlink_to(folder / "encoder.ckpt")  # absolute
    sign_folder(folder, key)
    assert "sub/copy.ckpt" in verify_folder(folder).files
    # the folder itself may be reached through a link (results/latest -> run/)
    (tmp_path / "latest").symlink_to(folder)
    assert verify_folder(tmp_path / "latest").signed


def test_hub_snapshot_links_to_its_blobs_are_inside(tmp_path, key, secret):
    folder = fake_model(tmp_path / "model")
    sign_folder(folder, key)
    snapshot = populate_hub_cache(tmp_path / "hub", "me/ser", folder, blobs=True)
    assert (snapshot / "encoder.ckpt").is_symlink()
    # a snapshot used as a local folder: its links into ../../blobs are inside
    assert verify_folder(snapshot).signed
    assert materialize(snapshot) == (snapshot, True)
    # a savedir as SpeechBrain's fetching fills it: absolute links to the snapshot
    savedir = tmp_path / "savedir"
    savedir.mkdir()
    for name in os.listdir(snapshot):
        (savedir / name).symlink_to(snapshot / name)
    assert verify_folder(savedir, check_extra=False, hub_links=True).signed
    # ... but only the Hub cache's links: the same savedir is no local folder
    with pytest.raises(FolderClosureError, match="outside the model folder"):
        check_closed(savedir)
    # a snapshot file that leaves its repository is refused, in both layouts
    (snapshot / "label_encoder.ckpt").unlink()
    (snapshot / "label_encoder.ckpt").symlink_to(secret)
    with pytest.raises(FolderClosureError, match="label_encoder.ckpt: a symbolic"):
        verify_folder(savedir, check_extra=False, hub_links=True)
    with pytest.raises(FolderClosureError, match="label_encoder.ckpt: a symbolic"):
        materialize(snapshot)


def test_listed_names_may_not_climb_out(tmp_path):
    folder = fake_model(tmp_path / "model")
    for name in ("../model/encoder.ckpt", "/etc/passwd", "sub\\..\\x"):
        with pytest.raises(FolderClosureError, match="not a plain relative path"):
            check_closed(folder, [name, "encoder.ckpt"], hub_links=True)


def test_a_blobs_folder_counts_only_inside_a_hub_repository(tmp_path, secret):
    # snapshots/<rev> outside a models--owner--name folder is an ordinary folder
    folder = fake_model(tmp_path / "lookalike" / "snapshots" / "rev")
    blobs = tmp_path / "lookalike" / "blobs"
    blobs.mkdir()
    shutil.copy(secret, blobs / "shadow")
    (folder / "label_encoder.ckpt").unlink()
    (folder / "label_encoder.ckpt").symlink_to("../../blobs/shadow")
    with pytest.raises(FolderClosureError, match="outside the model folder"):
        check_closed(folder)
