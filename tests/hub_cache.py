"""A Hugging Face Hub cache laid out as huggingface_hub lays it out, offline."""

import hashlib
import os
import shutil
import subprocess
import sys

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def populate_hub_cache(cache, repo_id, folder, commit=COMMIT, blobs=False):
    """Puts ``folder`` in ``cache`` as the ``main`` snapshot of model ``repo_id``.

    With ``blobs``, as huggingface_hub lays it out on Linux: each file's content
    in ``blobs/<sha256>`` and ``snapshots/<commit>/<name> -> ../../blobs/<sha256>``
    (relative links); otherwise the snapshot holds copies.
    """
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    if not blobs:
        shutil.copytree(folder, snapshot)
        return snapshot
    (repo / "blobs").mkdir(exist_ok=True)
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        link = snapshot / path.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    return snapshot


def run_offline(code, cache, timeout=300):
    """Runs Python ``code`` in a fresh process with the Hub offline on ``cache``."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache)}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
