"""Checking and publishing an exported model folder to the Hugging Face Hub.

``python -m speechbrain_lstm_ser.hub publish FOLDER --repo-id user/name``
validates the folder (files, model card metadata, a real load and a run of
its example clip), then creates the repository and uploads the folder with
``huggingface_hub``. The token comes from the usual places (``HF_TOKEN``,
``huggingface-cli login``). ``--dry-run`` does every check and prints what
would be uploaded, without any network access.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

import ruamel.yaml

from speechbrain_lstm_ser.export.card import (
    REQUIRED_METADATA,
    example_method,
    extract_snippet_code,
    read_front_matter,
    replace_usage,
    usage_snippet,
)
from speechbrain_lstm_ser.export.robustness_card import (
    read_robustness,
    with_robustness,
)
from speechbrain_lstm_ser.hub.legacy import CLASSIFIER_TRAINED, folder_setting
from speechbrain_lstm_ser.hub.load import HYPERPARAMS, read_interface
from speechbrain_lstm_ser.hub.signing import SIGNATURE_FILE
from speechbrain_lstm_ser.inference.load import load_model

__all__ = ["PublishError", "check_folder", "publish"]


class PublishError(ValueError):
    """A model folder that is not ready to publish; lists every problem."""

    def __init__(self, folder, problems):
        self.problems = list(problems)
        super().__init__(
            f"{folder} is not ready to publish:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


@dataclasses.dataclass
class FolderCheck:
    """What :func:`check_folder` found."""

    folder: Path
    interface: str
    files: list[tuple[str, int]]
    metadata: dict
    prediction: str
    #: The interface's method the card's snippet runs on ``example.wav``.
    method: str = "classify_file"


def check_folder(folder: str | os.PathLike) -> FolderCheck:
    """Validates an exported model folder; raises PublishError listing problems.

    Checks: the files the ``Pretrainer`` names exist, the card has the Hub
    metadata and a usage snippet for the right interface, a signature (if
    any) is intact, the model loads (through the same checks as users'
    loads) and classifies (or transcribes) its ``example.wav``.

    Arguments
    ---------
    folder : str or os.PathLike
        The folder to check.

    Returns
    -------
    FolderCheck
    """
    folder = Path(folder)
    problems = []
    if not folder.is_dir():
        raise PublishError(folder, ["not a folder"])
    try:
        interface = read_interface(folder)
    except (FileNotFoundError, ValueError) as err:
        raise PublishError(folder, [str(err)]) from None
    card_path = folder / "README.md"
    metadata: dict = {}
    if not card_path.is_file():
        problems.append("README.md (the model card) is missing")
    else:
        card = card_path.read_text(encoding="utf-8")
        metadata = read_front_matter(card)
        missing = [k for k in REQUIRED_METADATA if not metadata.get(k)]
        if missing:
            problems.append(f"model card front matter lacks {missing}")
        if metadata.get("library_name") not in (None, "speechbrain"):
            problems.append("model card library_name must be 'speechbrain'")
        try:
            if interface.rsplit(".", 1)[1] not in extract_snippet_code(card):
                problems.append(f"the card's usage snippet does not use {interface}")
        except ValueError as err:
            problems.append(str(err))
    with open(folder / HYPERPARAMS, encoding="utf-8") as handle:
        tree = ruamel.yaml.YAML().load(handle)
    pretrainer = tree.get("pretrainer") or {}
    if pretrainer.get("paths"):
        problems.append(
            "the pretrainer lists `paths`: they pin a location; remove them so that "
            "each loadable is fetched as <name>.ckpt from the source"
        )
    for name in pretrainer.get("loadables") or {}:
        if not (folder / f"{name}.ckpt").is_file():
            problems.append(f"{name}.ckpt (loadable {name!r}) is missing")
    if not (folder / "example.wav").is_file():
        problems.append("example.wav is missing")
    if problems:
        raise PublishError(folder, problems)
    method = example_method(interface, folder_setting(tree, CLASSIFIER_TRAINED))
    with tempfile.TemporaryDirectory() as savedir:
        try:
            model = load_model(folder, savedir=savedir)
            prediction = _run_example(model, method, folder / "example.wav")
        except Exception as err:  # any failure to load or run is a problem
            raise PublishError(
                folder, [f"the model does not load or run: {err}"]
            ) from None
    files = sorted(
        (str(p.relative_to(folder)), p.stat().st_size)
        for p in folder.rglob("*")
        if p.is_file()
    )
    return FolderCheck(folder, interface, files, metadata, prediction, method)


def _run_example(model, method: str, path: Path) -> str:
    result = getattr(model, method)(str(path))
    if method == "classify_file":  # (out_prob, score, index, labels)
        return str(result[3][0])
    if method == "predict_file":  # a model of the dimensions alone
        return str(result.dimensions)
    return str(result)


def publish(
    folder: str | os.PathLike,
    repo_id: str,
    private: bool = False,
    dry_run: bool = False,
    token: str | None = None,
    api=None,
    sign_key: str | os.PathLike | None = None,
    robustness: str | os.PathLike | None = None,
) -> str:
    """Checks a model folder and uploads it to a Hub model repository.

    The uploaded card's usage snippet loads from ``repo_id``; the local
    folder is not modified.

    Arguments
    ---------
    folder : str or os.PathLike
        An exported model folder.
    repo_id : str
        ``user/name`` or ``organisation/name``.
    private : bool
        Create the repository private.
    dry_run : bool
        Check and report only; nothing leaves the machine.
    token : str, optional
        A Hub token; by default huggingface_hub's own lookup.
    api : huggingface_hub.HfApi, optional
        The API client (tests pass a fake).
    sign_key : str or os.PathLike, optional
        A private key (``sb-lstm-ser keygen``): the uploaded folder is signed
        with it (after its card is adapted to the repo id).
    robustness : str or os.PathLike, optional
        What ``sb-lstm-ser robustness --conditions ... --json`` wrote for
        this folder: the uploaded card gets its ``## Robustness`` table
        (:mod:`~speechbrain_lstm_ser.export.robustness_card`).

    Returns
    -------
    str
        The repository URL, or a summary for a dry run.
    """
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise ValueError(f"repo id must look like user/name, got {repo_id!r}")
    check = check_folder(folder)
    summary = None if robustness is None else read_robustness(robustness, folder)
    if (check.folder / SIGNATURE_FILE).is_file() and sign_key is None:
        raise PublishError(
            check.folder,
            [
                "the folder is signed, and publishing adapts its card to the repo "
                "id: pass --sign-key to sign the upload, or delete signature.json "
                "to publish it unsigned"
            ],
        )
    total = sum(size for _, size in check.files)
    lines = [
        f"{check.folder}: OK ({check.interface}; example.wav -> {check.prediction!r})",
        f"{'would upload' if dry_run else 'uploading'} {len(check.files)} files "
        f"({total / 1e6:.2f} MB) to https://huggingface.co/{repo_id}"
        f"{' (private)' if private else ''}:",
    ] + [f"  {name}  {size} B" for name, size in check.files]
    if summary is not None:
        rows = len(summary.get("conditions", {})) + len(summary.get("domains", {}))
        lines.append(
            f"the card gets the robustness table of {robustness} ({rows} rows)"
        )
    if dry_run:
        return "\n".join(lines)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "model"
        shutil.copytree(check.folder, staged)
        card = (staged / "README.md").read_text(encoding="utf-8")
        snippet = usage_snippet(check.interface, repo_id, check.method + "({example})")
        card = replace_usage(card, snippet)
        if summary is not None:
            card = with_robustness(card, summary)
        (staged / "README.md").write_text(card, encoding="utf-8")
        if sign_key is not None:
            from speechbrain_lstm_ser.hub.signing import sign_folder

            sign_folder(staged, sign_key)
        api.create_repo(
            repo_id=repo_id, repo_type="model", private=private, exist_ok=True
        )
        api.upload_folder(
            folder_path=str(staged),
            repo_id=repo_id,
            repo_type="model",
            commit_message="Upload model trained with speechbrain-lstm-ser",
        )
    return "\n".join(lines + [f"published: https://huggingface.co/{repo_id}"])
