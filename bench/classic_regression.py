r"""The classic baseline for dimensions: functionals and one SVR per dimension.

The regression twin of :mod:`bench.classic`: the same utterance functionals
(:func:`bench.classic.feature_extractor`: openSMILE's eGeMAPS, or our
:class:`bench.classic.ProsodicFunctionals`), z-scored globally (statistics
of the training set) or per speaker (:func:`bench.classic.speaker_zscore`,
each speaker's own utterances in every split; transductive at test time,
targets unused), then standardised (one scaler fit on the training set)
and fed to one RBF support-vector
regressor (scikit-learn's ``SVR``) per dimension, whose ``C``, ``gamma``
and ``epsilon`` are chosen by CCC on the validation manifest. The test
split is scored by
:func:`speechbrain_lstm_ser.evaluation.dimensions.dimension_report` (CCC,
Pearson, MAE overall, per gender, per speaker, bootstrap intervals) and its
gain invariance by
:func:`speechbrain_lstm_ser.evaluation.robustness.dimension_robustness`::

    python -m bench.classic_regression --manifests DIR --data_folder ROOT \
        --features functionals --normalisation speaker global --output svr.json

The manifests need the dimension columns (``arousal, valence, dominance``,
normalised to ``[0, 1]``, empty where unknown); utterances whose value of a
dimension is unknown are left out of that dimension's training, tuning and
scoring.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import math
import pickle
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from bench.classic import (
    C_GRID,
    GAMMA_GRID,
    NORMALISATIONS,
    FeatureCache,
    add_data_options,
    check_normalisation,
    feature_extractor,
    manifest_splits,
    normalised_features,
)
from bench.measure import peak_rss_mb, prediction_rows
from speechbrain_lstm_ser.dataio.manifest import (
    DIMENSIONS,
    ManifestSchema,
    dimension_matrix,
    read_manifest,
)
from speechbrain_lstm_ser.evaluation.dimensions import (
    concordance_correlation,
    dimension_report,
)
from speechbrain_lstm_ser.evaluation.reports import write_json
from speechbrain_lstm_ser.evaluation.robustness import (
    dimension_robustness,
    dimension_robustness_failures,
    labelled_audio_of_rows,
)

__all__ = [
    "EPSILON_GRID",
    "DimensionalAudio",
    "RegressionBaseline",
    "bench_row",
    "main",
    "read_dimensional_audio",
    "run_classic_regression",
]

#: ``epsilon`` values tried (the SVR's insensitive tube, in [0, 1] units).
EPSILON_GRID = (0.01, 0.05, 0.1)


class DimensionalAudio(NamedTuple):
    """The utterances of a manifest, read, with their dimensions."""

    ids: list[str]
    wavs: list[torch.Tensor]
    targets: np.ndarray  # (utterances, dimensions); nan = unknown
    speakers: list[str]
    genders: list[str]


def read_dimensional_audio(
    manifest: str | Path,
    data_folder: str | Path | None = None,
    sample_rate: int = 16000,
    names: Sequence[str] = DIMENSIONS,
) -> DimensionalAudio:
    """Reads every utterance of a manifest and its dimension columns.

    Arguments
    ---------
    manifest : str or Path
        A CSV manifest with ``ID, wav`` and one column per name.
    data_folder : str or Path, optional
        Substituted for ``$data_root`` in ``wav``.
    sample_rate : int
        The rate to read at.
    names : sequence of str
        The dimension columns.

    Returns
    -------
    DimensionalAudio
        ``targets`` is ``nan`` where a cell is empty.

    Raises
    ------
    speechbrain_lstm_ser.dataio.manifest.ManifestError
        A missing column, or a value that is not a number in ``[0, 1]``
        (every problem listed, with its row).
    ValueError
        ``$data_root`` paths without ``data_folder``.
    """
    schema = ManifestSchema(
        "dimensional manifest", ("ID", "wav", *names), unit_interval=tuple(names)
    )
    rows = read_manifest(manifest, schema=schema)  # read once, every value checked
    audio = labelled_audio_of_rows(rows, manifest, data_folder, sample_rate, None)
    return DimensionalAudio(
        audio.ids,
        audio.wavs,
        dimension_matrix(rows, names),
        audio.speakers,
        audio.genders,
    )


class RegressionBaseline:
    """Functionals, z-scoring (global or per speaker), an RBF SVR per dimension.

    Arguments
    ---------
    features : bench.classic.FeatureCache
        Extracts (and caches) the functionals.
    normalisation : str
        ``global`` (a scaler fit on the training set) or ``speaker``
        (:func:`bench.classic.speaker_zscore` in every split, then the
        global scaler).
    names : sequence of str
        The dimensions, in the order of the targets' columns.

    Example
    -------
    >>> class Level:  # a stand-in extractor: the level and spread of a wave
    ...     name, config = "level", "level"
    ...     def __call__(self, wav):
    ...         return np.array([wav.abs().mean().item(), wav.std().item()])
    >>> level = torch.linspace(0.1, 1, 12)
    >>> wavs = [a * torch.sin(torch.arange(800.0) * (1 + a)) for a in level]
    >>> audio = DimensionalAudio(
    ...     [str(i) for i in range(12)], wavs,
    ...     np.stack([level.numpy()] * 3, 1) * 0.8, ["a", "b"] * 6, ["male"] * 12)
    >>> baseline = RegressionBaseline(FeatureCache(Level()), "global")
    >>> baseline.fit(audio, audio).predict(audio.wavs, audio.speakers).shape
    (12, 3)
    >>> baseline.chosen["arousal"]["valid_CCC"] > 0.9
    True
    """

    def __init__(
        self,
        features: FeatureCache,
        normalisation: str = "speaker",
        names: Sequence[str] = DIMENSIONS,
    ):
        check_normalisation(normalisation)
        self.features = features
        self.normalisation = normalisation
        self.names = list(names)
        self.scaler = None  # fit on the training features
        self.models: dict = {}
        self.tuning: list[dict] = []

    def inputs(
        self, wavs: Sequence[torch.Tensor], speakers: Sequence[str]
    ) -> np.ndarray:
        """``(utterances, features)`` fed to the regressors."""
        return normalised_features(self.features, self.normalisation, wavs, speakers)

    def _tune(self, name: str, x_train, y_train, x_valid, y_valid):
        """Every (C, gamma, epsilon) on one dimension; the best by valid CCC."""
        from sklearn.svm import SVR

        best = None
        for c in C_GRID:
            for scale in GAMMA_GRID:
                for epsilon in EPSILON_GRID:
                    gamma = scale / x_train.shape[1]
                    model = SVR(C=c, gamma=gamma, epsilon=epsilon)
                    model.fit(x_train, y_train)
                    ccc = concordance_correlation(model.predict(x_valid), y_valid)
                    ccc = -1.0 if math.isnan(ccc) else ccc  # a constant guess
                    self.tuning.append(
                        {"dimension": name, "C": c, "gamma": gamma,
                         "epsilon": epsilon, "valid_CCC": ccc}
                    )  # fmt: skip
                    if best is None or ccc > best[0]:
                        best = (ccc, model)
        return best[1]

    def fit(self, train: DimensionalAudio, valid: DimensionalAudio):
        """Trains and tunes one SVR per dimension on its known targets."""
        from sklearn.preprocessing import StandardScaler

        x_train = self.inputs(train.wavs, train.speakers)
        self.scaler = StandardScaler().fit(x_train)
        x_train = self.scaler.transform(x_train)
        x_valid = self.scaler.transform(self.inputs(valid.wavs, valid.speakers))
        for d, name in enumerate(self.names):
            known_t = ~np.isnan(train.targets[:, d])
            known_v = ~np.isnan(valid.targets[:, d])
            if known_t.sum() < 2 or known_v.sum() < 2:
                raise ValueError(
                    f"{name}: {known_t.sum()} training and {known_v.sum()} "
                    "validation utterances with a value; need 2 of each"
                )
            self.models[name] = self._tune(
                name,
                x_train[known_t],
                train.targets[known_t, d],
                x_valid[known_v],
                valid.targets[known_v, d],
            )
        return self

    def predict(
        self, wavs: Sequence[torch.Tensor], speakers: Sequence[str]
    ) -> np.ndarray:
        """``(utterances, dimensions)`` predictions, clipped to ``[0, 1]``."""
        x = self.scaler.transform(self.inputs(wavs, speakers))
        columns = [self.models[name].predict(x) for name in self.names]
        return np.clip(np.stack(columns, axis=1), 0.0, 1.0)

    @property
    def params(self) -> int:
        """Numbers the SVRs hold: support vectors, dual coefficients, intercepts."""
        return sum(
            int(m.support_vectors_.size + m.dual_coef_.size + m.intercept_.size)
            for m in self.models.values()
        )

    @property
    def size_bytes(self) -> int:
        """Bytes of the scaler and the regressors, pickled."""
        return len(pickle.dumps((self.scaler, self.models)))

    @property
    def chosen(self) -> dict:
        """Per dimension: the chosen C, gamma, epsilon and their valid CCC."""
        return {
            name: max(
                (t for t in self.tuning if t["dimension"] == name),
                key=lambda t: t["valid_CCC"],
            )
            for name in self.names
        }


def run_classic_regression(
    train_manifest: str | Path,
    valid_manifest: str | Path,
    test_manifest: str | Path,
    data_folder: str | Path | None = None,
    features: str = "auto",
    normalisations: Sequence[str] = ("speaker", "global"),
    sample_rate: int = 16000,
    cache: str | Path | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    level_invariant: bool = False,
) -> dict:
    """Trains, tunes and tests the SVR baseline for each normalisation.

    Arguments
    ---------
    train_manifest, valid_manifest, test_manifest : str or Path
        Emotion manifests with the dimension columns.
    data_folder : str or Path, optional
        The corpus folder (``$data_root``).
    features : str
        ``auto``, ``egemaps`` or ``functionals``.
    normalisations : sequence of str
        ``speaker`` and / or ``global``: one baseline each (the features are
        extracted once).
    sample_rate : int
        The rate audio is read at.
    cache : str or Path, optional
        A folder where features are kept between runs.
    bootstrap : int
        Resamples of the test report's intervals.
    seed : int
        Their seed.
    level_invariant : bool
        Only the functionals a gain does not move
        (:class:`~bench.classic.LevelInvariant`).

    Returns
    -------
    dict
        ``kind``, ``feature_set``, ``features``, ``test_utterances``,
        ``peak_rss_mb`` and, per normalisation in ``runs``: ``chosen`` (per
        dimension), ``tuning``, ``params`` and ``size_bytes`` (the SVRs'),
        ``train_time_s``, ``dimensions`` (the test split's
        :func:`~speechbrain_lstm_ser.evaluation.dimensions.dimension_report`),
        ``predictions`` (ID -> one value per dimension), ``robustness`` (each
        dimension's CCC per gain / DC condition,
        :func:`~speechbrain_lstm_ser.evaluation.robustness.dimension_robustness`)
        and ``robustness_failures``.
    """
    extractor = feature_extractor(features, sample_rate, level_invariant)
    cached = FeatureCache(extractor, cache)
    read = lambda m: read_dimensional_audio(m, data_folder, sample_rate)  # noqa: E731
    train, valid, test = read(train_manifest), read(valid_manifest), read(test_manifest)
    runs = {}
    for normalisation in normalisations:
        baseline = RegressionBaseline(cached, normalisation)
        start = time.perf_counter()
        baseline.fit(train, valid)
        train_seconds = time.perf_counter() - start
        predicted = baseline.predict(test.wavs, test.speakers)
        runs[normalisation] = {
            "chosen": baseline.chosen,
            "tuning": baseline.tuning,
            "train_time_s": round(train_seconds, 3),
            "dimensions": dimension_report(
                predicted,
                test.targets,
                genders=test.genders,
                speakers=test.speakers,
                bootstrap=bootstrap,
                seed=seed,
            ),
            "predictions": prediction_rows(test.ids, predicted),
            "params": baseline.params,
            "size_bytes": baseline.size_bytes,
        }
        robustness = dimension_robustness(
            partial(baseline.predict, speakers=test.speakers),
            test.wavs,
            test.targets,
        )
        runs[normalisation]["robustness"] = {
            name: {k: v for k, v in r.items() if k != "predictions"}
            for name, r in robustness.items()
        }
        runs[normalisation]["robustness_failures"] = dimension_robustness_failures(
            robustness
        )
    return {
        "kind": "classic_regression",
        "feature_set": extractor.name,
        "features": len(extractor.names),
        "test_utterances": len(test.ids),
        "runs": runs,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def bench_row(result: dict, normalisation: str) -> dict:
    """One normalisation of :func:`run_classic_regression` as a ``bench.run`` row.

    Its dimensions are filed under the reference mode of the neural rows
    they compare with: per-speaker z-scoring makes every prediction relative
    to its speaker (``speaker``); global z-scoring uses no speaker
    information (``utterance``). The gain
    conditions' CCCs are ``dimension_robustness`` (the ``robustness`` of a
    row is UA's).

    Arguments
    ---------
    result : dict
        What :func:`run_classic_regression` returns.
    normalisation : str
        One of its ``runs``.

    Returns
    -------
    dict
        ``kind``, ``feature_set``, ``features``, ``normalisation``,
        ``chosen``, ``tuning``, ``params``, ``size_bytes``,
        ``train_time_s``, ``test_utterances``, ``peak_rss_mb``,
        ``dimensions`` and ``dimension_predictions`` (mode -> ...),
        ``dimension_robustness`` and ``dimension_robustness_failures``.

    Example
    -------
    >>> run = {"dimensions": {"overall": {}}, "predictions": {"u": [0.5] * 3},
    ...        "robustness": {}, "robustness_failures": []}
    >>> row = bench_row({"kind": "classic_regression", "runs": {"speaker": run}},
    ...                 "speaker")
    >>> sorted(row["dimensions"]), row["dimension_predictions"]["speaker"]["u"]
    (['speaker'], [0.5, 0.5, 0.5])
    """
    run = dict(result["runs"][normalisation])
    mode = "speaker" if normalisation == "speaker" else "utterance"
    row = {k: v for k, v in result.items() if k != "runs"}
    row["normalisation"] = normalisation
    row["dimensions"] = {mode: run.pop("dimensions")}
    row["dimension_predictions"] = {mode: run.pop("predictions")}
    row["dimension_robustness"] = run.pop("robustness")
    row["dimension_robustness_failures"] = run.pop("robustness_failures")
    return {**row, **run}


def main(argv: list[str] | None = None) -> dict:
    """Runs the SVR baseline on a folder of manifests (see ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.classic_regression",
        description=__doc__.split("\n\n")[0],
    )
    add_data_options(parser)
    parser.add_argument(
        "--normalisation",
        nargs="+",
        default=["speaker", "global"],
        choices=NORMALISATIONS,
        help="one baseline per normalisation given",
    )
    parser.add_argument(
        "--bootstrap", type=int, default=1000, help="resamples of the intervals"
    )
    parser.add_argument("--seed", type=int, default=0, help="of the resampling")
    parser.add_argument("--output", help="the JSON to write")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    result = run_classic_regression(
        *manifest_splits(args.manifests),
        data_folder=args.data_folder,
        features=args.features,
        normalisations=args.normalisation,
        sample_rate=args.sample_rate,
        cache=args.cache,
        bootstrap=args.bootstrap,
        seed=args.seed,
        level_invariant=args.level_invariant,
    )
    if args.output:
        write_json(args.output, result)
    for normalisation, run in result["runs"].items():
        overall = run["dimensions"]["overall"]
        print(
            f"{result['feature_set']} ({result['features']}), {normalisation} "
            "z-scoring, test CCC: "
            + ", ".join(
                f"{name} {'n/a' if s['ccc'] is None else format(s['ccc'], '.3f')}"
                for name, s in overall.items()
            )
        )
        failures = run["robustness_failures"]
        print(
            "  gain invariance (CCC within 0.02): "
            + ("holds" if not failures else "; ".join(failures))
        )
    return result


if __name__ == "__main__":
    main()
