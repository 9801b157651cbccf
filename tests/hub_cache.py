"""A Hugging Face Hub cache laid out as huggingface_hub lays it out, offline."""

import os
import shutil
import subprocess
import sys

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def populate_hub_cache(cache, repo_id, folder, commit=COMMIT):
    """Puts ``folder`` in ``cache`` as the ``main`` snapshot of model ``repo_id``."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    shutil.copytree(folder, snapshot)
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
