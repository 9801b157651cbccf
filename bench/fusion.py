r"""Late fusion of a trained model and the classic baseline: an ensemble, measured.

Issue 23 lists "an ensemble or hybrid with the functionals" among what the
field tries for emotion that transfers. :class:`LateFusion` adds, class by
class, the log-probabilities of an exported model (the LSTM) and of the
classic baseline's SVM (:mod:`bench.classic`, its chosen ``C`` and ``gamma``
refit with Platt-scaled probabilities)::

    log p(class) = w log p_model(class) + (1 - w) log p_svm(class)

in each mode of the cross-domain table:

- ``speaker``: the model against its speaker's enrolment, the SVM over
  functionals z-scored per speaker (both transductive, as the recipe's test);
- ``utterance``: the model alone, the SVM over the level-invariant
  functionals z-scored globally (:class:`bench.classic.LevelInvariant`), so
  that the fusion keeps the gain criterion the model meets.

The weight ``w`` is chosen per run and per mode on a **selection domain**
(``--selection``, e.g. the held-out espeak-ng voices of the validation
domain), never on the test split or a test-only domain. Then the fused
predictor gets the whole cross-domain table
(:func:`speechbrain_lstm_ser.evaluation.transfer.transfer_table`), one JSON
per run in the format of ``sb-lstm-ser robustness --json``, so that
``python -m bench.transfer_runs`` averages the runs and pairs them with the
model alone::

    python -m bench.fusion --run results/emotion_lstm/1986 \
        --data_folder data/embedded_emotion --selection data/emotion_validation \
        --domain data/emotion_flite --conditions noise --output_dir fusion

It is a measurement, not a product: the SVM is scikit-learn's (a pickle
nobody should load from the Hub) and openSMILE's eGeMAPS is research-licensed.
What ships is its linear form, fitted by the recipe into the model itself
(:class:`speechbrain_lstm_ser.nnet.fusion.FunctionalsFusion`; docs/emotion.md,
"Late fusion with prosodic functionals").

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from bench.classic import (
    FEATURE_SETS,
    ClassicBaseline,
    FeatureCache,
    add_classifier_option,
    feature_extractor,
    manifest_splits,
)
from bench.measure import add_transfer_options, transfer_groups
from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.reports import write_json
from speechbrain_lstm_ser.evaluation.robustness import (
    LabelledAudio,
    Predictor,
    log_probability_predictor,
    read_labelled_audio,
)
from speechbrain_lstm_ser.evaluation.transfer import (
    format_transfer_table,
    read_domain,
    select_conditions,
    transfer_table,
)

__all__ = [
    "LateFusion",
    "WEIGHTS",
    "calibrated_baseline",
    "fusion_baselines",
    "main",
    "run_fusion",
]

#: The model's weights tried on the selection domain (0: the SVM alone, 1: the model).
WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))
#: Added to the SVM's probabilities before the log (Platt scaling can give 0).
PROBABILITY_FLOOR = 1e-6


def calibrated_baseline(baseline: ClassicBaseline, train: LabelledAudio):
    """The baseline's chosen pipeline refit with Platt-scaled probabilities.

    scikit-learn's ``CalibratedClassifierCV`` (5 folds, sigmoid, one model
    refit on all of ``train``): deterministic, unlike ``SVC(probability=True)``.

    Arguments
    ---------
    baseline : ClassicBaseline
        Fitted (its ``model`` is the chosen scaler + SVM).
    train : LabelledAudio
        The training split it was fitted on.

    Returns
    -------
    sklearn.calibration.CalibratedClassifierCV
        ``predict_proba`` over ``classes_``.
    """
    from sklearn.base import clone
    from sklearn.calibration import CalibratedClassifierCV

    model = CalibratedClassifierCV(clone(baseline.model), ensemble=False)
    return model.fit(baseline.inputs(train.wavs, train.speakers), train.labels)


class LateFusion:
    """One mode's weighted sum of a model's and an SVM's log-probabilities.

    Arguments
    ---------
    model : UtteranceClassifier
        A loaded classifier (``labels``, ``outputs``; ``enrol_waveforms`` in
        the ``speaker`` mode).
    baseline : ClassicBaseline
        The fitted classic baseline of this mode (per-speaker z-scoring for
        ``speaker``).
    svm : sklearn classifier
        ``baseline``'s calibrated copy (:func:`calibrated_baseline`).
    mode : str
        ``speaker`` or ``utterance``.
    weight : float
        The model's weight ``w`` in [0, 1].

    Example
    -------
    >>> from types import SimpleNamespace as NS
    >>> model = NS(labels=["a", "b"], outputs=lambda wavs, lens, speaker=None: (
    ...     torch.log(torch.tensor([[0.6, 0.4]] * len(wavs))), None))
    >>> svm = NS(classes_=np.array(["b", "a"]),
    ...          predict_proba=lambda x: np.array([[0.9, 0.1]] * len(x)))
    >>> baseline = NS(inputs=lambda wavs, speakers: np.zeros((len(wavs), 1)))
    >>> fusion = LateFusion(model, baseline, svm, "utterance", weight=1.0)
    >>> fusion.predictor(["s"])([torch.zeros(160)])
    ['a']
    >>> fusion.weight = 0.5  # the SVM's 0.9 for b outweighs the model's 0.6 for a
    >>> fusion.predictor(["s"])([torch.zeros(160)])
    ['b']
    """

    def __init__(self, model, baseline, svm, mode: str, weight: float = 0.5):
        if mode not in ("speaker", "utterance"):
            raise ValueError(f"mode {mode!r}: use 'speaker' or 'utterance'")
        self.model = model
        self.baseline = baseline
        self.svm = svm
        self.mode = mode
        self.weight = weight
        classes = [str(c) for c in svm.classes_]
        missing = sorted(set(model.labels) - set(classes))
        if missing:
            raise ValueError(f"the SVM never saw the model's classes {missing}")
        self.columns = [classes.index(label) for label in model.labels]

    def log_probabilities(
        self, wavs: list[torch.Tensor], speakers: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(utterances, classes)`` of the model and of the SVM (model's order)."""
        per_speaker = self.mode == "speaker"
        predict = log_probability_predictor(
            self.model, list(speakers) if per_speaker else None
        )
        model = np.asarray(predict(wavs), dtype=np.float64)
        svm = self.svm.predict_proba(self.baseline.inputs(wavs, speakers))
        svm = svm[:, self.columns]
        return model, np.log(svm + PROBABILITY_FLOOR)

    def labels_of(self, model: np.ndarray, svm: np.ndarray, weight: float) -> list[str]:
        """The fused decision for each row of the two log-probability arrays."""
        fused = weight * model + (1.0 - weight) * svm
        return [self.model.labels[i] for i in fused.argmax(axis=1)]

    def choose_weight(self, selection: LabelledAudio) -> dict[float, float]:
        """Sets :attr:`weight` to the best of :data:`WEIGHTS` by UA on ``selection``.

        Returns each weight's UA there (ties go to the larger weight: the
        model alone unless the SVM helps).
        """
        model, svm = self.log_probabilities(selection.wavs, selection.speakers)
        uas = {
            w: classification_report(
                selection.labels, self.labels_of(model, svm, w), self.model.labels
            )["unweighted_accuracy"]
            for w in WEIGHTS
        }
        self.weight = max(WEIGHTS, key=lambda w: (round(uas[w], 12), w))
        return uas

    def predictor(self, speakers: Sequence[str]) -> Predictor:
        """A ``transfer_table`` predictor for waveforms of these speakers."""

        def predict(wavs: list[torch.Tensor]) -> list[str]:
            return self.labels_of(*self.log_probabilities(wavs, speakers), self.weight)

        return predict


def fusion_baselines(
    manifests: str | Path,
    data_folder: str | Path | None,
    features: str = "functionals",
    sample_rate: int = 16000,
    cache: str | Path | None = None,
    classifier: str = "svm",
) -> dict[str, tuple[ClassicBaseline, object]]:
    """Each mode's fitted classic baseline and its calibrated copy.

    ``speaker``: the full functionals, z-scored per speaker; ``utterance``:
    the level-invariant ones, z-scored globally. ``C`` and ``gamma`` are
    chosen on the run's validation split, as :func:`bench.classic.run_classic`
    does; ``classifier``: ``svm`` or ``logistic`` (:data:`bench.classic.CLASSIFIERS`).
    """
    train_manifest, valid_manifest, _ = manifest_splits(manifests)
    train = read_labelled_audio(train_manifest, data_folder, sample_rate)
    valid = read_labelled_audio(valid_manifest, data_folder, sample_rate)
    out = {}
    for mode, normalisation, level_invariant in (
        ("speaker", "speaker", False),
        ("utterance", "global", True),
    ):
        extractor = feature_extractor(features, sample_rate, level_invariant)
        baseline = ClassicBaseline(
            FeatureCache(extractor, cache), normalisation, classifier=classifier
        )
        baseline.fit(train, valid)
        out[mode] = (baseline, calibrated_baseline(baseline, train))
    return out


def run_fusion(
    run: str | Path,
    selection: str | Path,
    data_folder: str | Path | None = None,
    domains: Sequence[str | Path] = (),
    groups: Sequence[str] = (),
    features: str = "functionals",
    seed: int = 0,
    cache: str | Path | None = None,
    baselines: dict | None = None,
    classifier: str = "svm",
) -> dict:
    """The fused model's cross-domain table, its weights chosen on ``selection``.

    Arguments
    ---------
    run : str or Path
        A recipe's output folder: ``model/`` and ``manifests/``.
    selection : str or Path
        The domain the weights are chosen on (:func:`read_domain`).
    data_folder : str or Path, optional
        The corpus folder of the run's manifests (``$data_root``).
    domains : sequence of path
        Test-only domains for the table.
    groups : sequence of str
        Condition groups of the table (``noise``, ``reverb``, ...).
    features : str
        ``functionals`` (ours) or ``egemaps`` (openSMILE, research licence).
    seed : int
        Seed of the conditions' noises and rooms.
    cache : str or Path, optional
        Where the functionals are kept between runs.
    baselines : dict, optional
        :func:`fusion_baselines` already fitted on these manifests (runs of
        other seeds share them).
    classifier : str
        Over the functionals, when ``baselines`` is not given: ``svm`` or
        ``logistic``.

    Returns
    -------
    dict
        :func:`transfer_table`'s result (the selection domain among the
        domains) with ``model``, ``seed``, ``groups``, ``selection``,
        ``weights`` (mode -> the chosen ``w``) and ``weight_search`` (mode ->
        weight -> UA on the selection domain).
    """
    from speechbrain_lstm_ser.inference.load import load_model

    run = Path(run)
    model = load_model(run / "model")
    baselines = baselines or fusion_baselines(
        run / "manifests", data_folder, features, model.sample_rate, cache, classifier
    )
    chosen = read_domain(selection, model.sample_rate)
    fusions, search = {}, {}
    for mode, (baseline, svm) in baselines.items():
        fusions[mode] = LateFusion(model, baseline, svm, mode)
        search[mode] = fusions[mode].choose_weight(chosen)
    test = read_labelled_audio(
        run / "manifests" / "test.csv", data_folder, model.sample_rate
    )
    table = transfer_table(
        {mode: fusion.predictor for mode, fusion in fusions.items()},
        test,
        select_conditions(groups, model.sample_rate, test.speakers, seed),
        {
            Path(selection).name: chosen,
            **{Path(d).name: read_domain(d, model.sample_rate) for d in domains},
        },
        classes=model.labels,
    )
    return {
        "model": str(run / "model"),
        "seed": seed,
        "groups": list(groups),
        "features": features,
        "classifier": next(iter(baselines.values()))[0].classifier,
        "selection": Path(selection).name,
        "weights": {mode: f.weight for mode, f in fusions.items()},
        "weight_search": {
            mode: {str(w): ua for w, ua in s.items()} for mode, s in search.items()
        },
        **table,
    }


def main(argv: list[str] | None = None) -> list[dict]:
    """Runs the fusion of each ``--run`` (see ``--help``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--run",
        action="append",
        required=True,
        help="a recipe's output folder; repeatable",
    )
    parser.add_argument("--data_folder", help="the corpus folder ($data_root)")
    parser.add_argument(
        "--selection", required=True, help="the domain the weights are chosen on"
    )
    parser.add_argument(
        "--features",
        default="functionals",
        choices=[name for name in FEATURE_SETS if name != "auto"],
    )
    add_classifier_option(parser)
    parser.add_argument("--cache", help="folder where functionals are kept")
    parser.add_argument("--output_dir", help="one JSON per run: <run folder name>.json")
    add_transfer_options(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    manifests = {Path(r, "manifests", "train.csv").read_bytes() for r in args.run}
    baselines = None
    if len(manifests) == 1:  # the same splits: one SVM per mode for every run
        baselines = fusion_baselines(
            Path(args.run[0], "manifests"),
            args.data_folder,
            args.features,
            cache=args.cache,
            classifier=args.classifier,
        )
    results = []
    for run in args.run:
        result = run_fusion(
            run,
            args.selection,
            args.data_folder,
            args.domain,
            transfer_groups(args.conditions),
            args.features,
            args.transfer_seed,
            args.cache,
            baselines,
            args.classifier,
        )
        if args.output_dir:
            write_json(Path(args.output_dir) / f"{Path(run).name}.json", result)
        weights = ", ".join(f"{m} w={w}" for m, w in result["weights"].items())
        print(f"{run}: the model's weight chosen on {result['selection']}: {weights}")
        print(format_transfer_table(result))
        results.append(result)
    return results


if __name__ == "__main__":
    main()
