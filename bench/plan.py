"""The benchmark's plan: which models run, in which order, on which data.

A models YAML (``bench/models.yaml``) names a ``reference`` model (and,
optionally, a ``dimension_reference``, the row the others' CCCs are compared
with) and the ``models``, each with its ``kind`` (``train``, ``prune``,
``distill``, ``onnx``, ``onnx_int8``, ``classic``, ``classic_regression``...),
its ``parent`` and its changes to the recipe's YAML. :class:`Plan` reads it,
orders the models (parents first; the reference first when a budget is its
training time) and writes the manifests every model shares.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.recipe import HPARAMS, round_trip_yaml
from bench.workspace import Workspace

__all__ = ["CONFIG", "SPLITS", "Plan", "has_transformers"]

#: The models of ``python -m bench.run`` (its ``--config``).
CONFIG = Path(__file__).with_name("models.yaml")
#: The manifests every model shares.
SPLITS = ("train", "valid", "test")


def has_transformers() -> bool:
    """Whether ``transformers`` (the ``ssl`` extra) is installed."""
    try:
        import transformers  # noqa: F401  (lazy: imports little until used)
    except ImportError:
        return False
    return True


class Plan:
    """The models of a configuration, their order and their shared data.

    Arguments
    ---------
    config : str or os.PathLike
        The models YAML.
    budget : str
        ``mixed``: models marked ``budget: wallclock`` get the reference
        model's training time; ``epochs``: every model gets its epochs.

    Example
    -------
    >>> plan = Plan(CONFIG, budget="epochs")
    >>> plan.order(["svm_speaker"])
    ['svm_speaker']
    >>> plan.kind("svm_speaker"), plan.base_hparams("svm_speaker").name
    ('classic', 'lstm.yaml')
    >>> plan.dimension_reference, plan.kind("svr_speaker")
    ('lstm_dimensions', 'classic_regression')
    """

    def __init__(self, config: str | os.PathLike = CONFIG, budget: str = "mixed"):
        self.config = round_trip_yaml().load(Path(config).read_text(encoding="utf-8"))
        self.models: Mapping[str, Mapping] = self.config["models"]
        self.reference: str = self.config["reference"]
        #: The row whose CCCs the others' are compared with (None: no comparison).
        self.dimension_reference: str | None = self.config.get("dimension_reference")
        self.budget = budget
        #: The recipe's data options, once :meth:`prepare_data` has run.
        self.data: dict[str, str] = {}

    def kind(self, name: str) -> str:
        """The ``kind`` of model ``name`` (``train`` when not given)."""
        return self.models[name].get("kind", "train")

    def wallclock(self, name: str) -> bool:
        """Whether model ``name`` trains for the reference model's training time."""
        return self.models[name].get("budget") == "wallclock" and self.budget == "mixed"

    def base_hparams(self, name: str) -> Path:
        """The YAML a model starts from: ``hparams_file`` or ``hparams/lstm.yaml``."""
        base = self.models[name].get("hparams_file")
        return HPARAMS.parent / str(base) if base else HPARAMS

    def order(self, names: Sequence[str], named: Sequence[str] = ()) -> list[str]:
        """``names`` and their parents, parents first.

        The reference model comes first when a model's budget is its
        training time. Rows with an ``ssl`` entry are left out, with one
        line, when ``transformers`` is missing, unless they are ``named``
        (``--models``): then that is an error.
        """
        ordered: list[str] = []

        def visit(name: str) -> None:
            if name not in self.models:
                raise KeyError(f"unknown model {name!r}; known: {list(self.models)}")
            parent = self.models[name].get("parent")
            if parent:
                visit(parent)
            if name not in ordered:
                ordered.append(name)

        for name in names:
            visit(name)
        ssl_rows = [n for n in ordered if self.models[n].get("ssl") is not None]
        if ssl_rows and not has_transformers():
            missing = [n for n in ssl_rows if n in named]
            if missing:
                raise SystemExit(
                    f"{', '.join(missing)}: an SSL front end needs transformers: "
                    'pip install ".[ssl]"'
                )
            print(
                f"[bench] {', '.join(ssl_rows)}: left out (an SSL front end needs "
                'transformers: pip install ".[ssl]")',
                flush=True,
            )
            ordered = [n for n in ordered if n not in ssl_rows]
        wallclock = any(self.models[n].get("budget") == "wallclock" for n in ordered)
        if wallclock and self.budget == "mixed":
            # wall-clock budgets are the reference model's training time
            if self.reference in ordered:
                ordered.remove(self.reference)
            ordered.insert(0, self.reference)
        return ordered

    def prepare_data(
        self,
        workspace: Workspace,
        manifests: str | os.PathLike | None,
        data_folder: str | os.PathLike,
    ) -> dict[str, str]:
        """Manifests for every run: the given ones or the embedded corpus.

        Arguments
        ---------
        workspace : Workspace
            Where the embedded corpus's manifests are written.
        manifests : str or os.PathLike, optional
            A folder with ``train/valid/test.csv`` of your corpus; without
            it, the embedded corpus is generated (if missing) and prepared.
        data_folder : str or os.PathLike
            The corpus folder.

        Returns
        -------
        dict
            The recipe's data options (``data_folder``, ``skip_prep``,
            ``<split>_annotation``), also kept as :attr:`data`.
        """
        data_folder = Path(data_folder).resolve()
        if manifests:
            folder = Path(manifests).resolve()
        else:
            from hyperpyyaml import load_hyperpyyaml

            from speechbrain_lstm_ser.dataio.prepare_emotion import (
                prepare_emotion_data,
            )

            with open(HPARAMS, encoding="utf-8") as handle:
                hp = load_hyperpyyaml(handle)
            folder = workspace.out / "manifests"
            with workspace.timed("data preparation"):
                options = {**hp["prepare"], "dataset": "embedded"}
                prepare_emotion_data(data_folder, folder, options)
        self.data = {
            "data_folder": str(data_folder),
            "skip_prep": "True",
            **{f"{s}_annotation": str(folder / f"{s}.csv") for s in SPLITS},
        }
        return self.data

    @property
    def manifest_folder(self) -> Path:
        """The folder of the shared manifests (after :meth:`prepare_data`)."""
        return Path(self.data["train_annotation"]).parent

    @property
    def test_manifest(self) -> Path:
        """The test manifest (after :meth:`prepare_data`)."""
        return Path(self.data["test_annotation"])
