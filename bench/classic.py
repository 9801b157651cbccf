r"""The classic baseline: acoustic functionals and an RBF SVM tuned on validation.

Each utterance becomes one vector of functionals (statistics over frames):

- ``egemaps``: the 88 eGeMAPSv02 functionals computed by openSMILE
  (``pip install speechbrain-lstm-ser[bench]``). openSMILE is under
  audEERING's research licence (free for research and education, not for
  commercial use): it is an optional, benchmark-only dependency, never one
  of the package.
- ``functionals``: :class:`ProsodicFunctionals`
  (:mod:`speechbrain_lstm_ser.nnet.prosodic_functionals`, what the
  emotion model's late fusion reads), our equivalent set computed with numpy
  and torchaudio alone (F0 from an autocorrelation tracker,
  loudness, spectral slopes and balance, MFCC 1-12, voicing, rate and pause
  proxies); used when openSMILE is not installed (``auto``).

``--level_invariant`` keeps only the functionals a recording's gain does not
move (:class:`LevelInvariant`: loudness, sound level and spectral flux
left out), the level-invariant baseline of issue 23's single-utterance
target.

The features are z-scored either globally (statistics of the training set)
or per speaker (``speaker``: each speaker's own utterances, in every split;
at test time this is transductive, labels unused), then fed to a
standardised RBF SVM (scikit-learn) whose ``C`` and ``gamma`` are chosen by
UA on the validation manifest (``--classifier logistic``: a logistic
regression instead, ``C`` chosen alike: what a linear head over the
functionals learns). :func:`run_classic` reports test UA / WA /
macro-F1, UA per gender, cost, and the gain-robustness conditions of
:func:`speechbrain_lstm_ser.evaluation.robustness.gain_robustness`::

    python -m bench.classic --manifests DIR --data_folder ROOT \
        --features auto --normalisation speaker --output classic.json

``bench.run`` runs it for the ``kind: classic`` rows of ``bench/models.yaml``,
on the manifests of the neural models.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from bench.measure import add_transfer_options, peak_rss_mb, transfer_groups
from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.reports import write_json
from speechbrain_lstm_ser.evaluation.robustness import (
    LabelledAudio,
    gain_robustness,
    read_labelled_audio,
    robustness_failures,
)
from speechbrain_lstm_ser.evaluation.transfer import (
    format_transfer_table,
    read_domain,
    select_conditions,
    transfer_table,
)
from speechbrain_lstm_ser.nnet.prosodic_functionals import (
    LEVEL_DEPENDENT,
    LevelInvariant,
    ProsodicFunctionals,
)
from speechbrain_lstm_ser.training.fusion import speaker_zscores

__all__ = [
    "CLASSIFIERS",
    "ClassicBaseline",
    "EGeMAPSFunctionals",
    "FeatureCache",
    "LEVEL_DEPENDENT",
    "LevelInvariant",
    "NORMALISATIONS",
    "ProsodicFunctionals",
    "add_classifier_option",
    "add_data_options",
    "check_normalisation",
    "feature_extractor",
    "main",
    "manifest_splits",
    "normalised_features",
    "run_classic",
    "speaker_zscore",
]

#: ``C`` values tried on the validation set.
C_GRID = (0.1, 1.0, 10.0, 100.0, 1000.0)
#: ``gamma`` values tried, times 1 / number of features.
GAMMA_GRID = (0.25, 1.0, 4.0)
#: The classifiers over the functionals: the RBF SVM of the literature, or a
#: linear one (logistic regression: what a linear torch head over the
#: functionals would learn).
CLASSIFIERS = ("svm", "logistic")


class EGeMAPSFunctionals:
    """The 88 eGeMAPSv02 functionals of openSMILE (research licence, bench only).

    Arguments
    ---------
    sample_rate : int
        Of the waveforms.
    """

    name = "egemaps"

    def __init__(self, sample_rate: int = 16000):
        import opensmile

        self.sample_rate = sample_rate
        self.smile = opensmile.Smile(
            feature_set=opensmile.FeatureSet.eGeMAPSv02,
            feature_level=opensmile.FeatureLevel.Functionals,
        )
        self.names = list(self.smile.feature_names)
        self.config = repr((self.name, sample_rate, opensmile.__version__))

    def __call__(self, wav: torch.Tensor) -> np.ndarray:
        """``(time,)`` waveform -> ``(88,)``."""
        frame = self.smile.process_signal(wav.numpy(), self.sample_rate)
        return frame.to_numpy(dtype=np.float64)[0]


#: The functionals the classic baseline reads.
FEATURE_SETS = ("auto", "egemaps", "functionals", "functionals-yin")


def feature_extractor(
    name: str = "auto", sample_rate: int = 16000, level_invariant: bool = False
):
    """The classic baseline's functionals, one of :data:`FEATURE_SETS`.

    ``auto``: eGeMAPS when openSMILE imports, else ours. ``functionals-yin``:
    ours with the YIN F0 tracker (``ProsodicFunctionals(f0_tracker="yin")``).
    ``level_invariant``: only the functionals a gain does not move
    (:class:`LevelInvariant`).

    Example
    -------
    >>> feature_extractor("functionals").name
    'functionals'
    >>> feature_extractor("functionals-yin").name
    'functionals-yin'
    >>> feature_extractor("functionals", level_invariant=True).name
    'functionals, level-invariant'
    """
    if level_invariant:
        return LevelInvariant(feature_extractor(name, sample_rate))
    if name not in FEATURE_SETS:
        raise ValueError(f"features {name!r}: use one of {', '.join(FEATURE_SETS)}")
    if name in ("auto", "egemaps"):
        try:
            return EGeMAPSFunctionals(sample_rate)
        except ImportError:
            if name == "egemaps":
                raise ImportError(
                    "features egemaps need openSMILE: pip install "
                    "'speechbrain-lstm-ser[bench]' (research licence), or use "
                    "--features functionals"
                ) from None
    if name == "functionals-yin":
        return ProsodicFunctionals(sample_rate, f0_tracker="yin")
    return ProsodicFunctionals(sample_rate)


class FeatureCache:
    """Features of lists of waveforms, cached by content (memory and disk).

    The same waveforms (a split, or a perturbed test set) are extracted
    once per process, and once per ``folder`` across processes.

    Arguments
    ---------
    extractor : callable
        ``(time,)`` waveform -> ``(features,)``, with ``config``.
    folder : str or Path, optional
        Where ``.npy`` files are kept.
    """

    def __init__(self, extractor, folder: str | Path | None = None):
        self.extractor = extractor
        self.folder = Path(folder) if folder else None
        self.memory: dict[str, np.ndarray] = {}
        self.seconds = 0.0  # time spent extracting

    def _key(self, wavs: Sequence[torch.Tensor]) -> str:
        digest = hashlib.sha256(self.extractor.config.encode())
        for wav in wavs:
            digest.update(wav.contiguous().float().numpy().tobytes())
            digest.update(b"|")
        return digest.hexdigest()[:24]

    def __call__(self, wavs: Sequence[torch.Tensor]) -> np.ndarray:
        """``(utterances, features)`` of ``wavs``."""
        key = self._key(wavs)
        path = self.folder / f"{self.extractor.name}-{key}.npy" if self.folder else None
        if key not in self.memory:
            if path is not None and path.exists():
                self.memory[key] = np.load(path)
            else:
                start = time.perf_counter()
                feats = np.stack([self.extractor(w) for w in wavs])
                self.seconds += time.perf_counter() - start
                self.memory[key] = np.nan_to_num(feats, nan=0.0, posinf=0.0, neginf=0)
                if path is not None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    np.save(path, self.memory[key])
        return self.memory[key]


def speaker_zscore(features: np.ndarray, speakers: Sequence[str]) -> np.ndarray:
    """Each feature z-scored within each speaker's own utterances.

    Arguments
    ---------
    features : np.ndarray
        ``(utterances, features)``.
    speakers : sequence of str
        The speaker of each utterance.

    Returns
    -------
    np.ndarray
        Same shape; a constant feature of a speaker becomes 0.

    Example
    -------
    >>> x = np.array([[1.0], [3.0], [10.0], [30.0]])
    >>> speaker_zscore(x, ["a", "a", "b", "b"]).ravel().tolist()
    [-1.0, 1.0, -1.0, 1.0]
    """
    zscored = speaker_zscores(torch.from_numpy(np.asarray(features)), list(speakers))
    return zscored.numpy()


#: The z-scorings of the classic baselines: one scaler, or per speaker first.
NORMALISATIONS = ("global", "speaker")


def normalised_features(
    features: FeatureCache,
    normalisation: str,
    wavs: Sequence[torch.Tensor],
    speakers: Sequence[str],
) -> np.ndarray:
    """``(utterances, features)`` of a baseline: per speaker z-scored or not.

    Arguments
    ---------
    features : FeatureCache
        The functionals of the waveforms.
    normalisation : str
        One of :data:`NORMALISATIONS` (``speaker``: :func:`speaker_zscore`
        first; ``global``: as extracted, the baseline's scaler does the rest).
    wavs : sequence of torch.Tensor
        ``(time,)`` waveforms.
    speakers : sequence of str
        The speaker of each waveform.

    Returns
    -------
    np.ndarray

    Example
    -------
    >>> class Level:
    ...     config = "level"
    ...     def __call__(self, wav):
    ...         return np.array([float(wav.abs().mean())])
    >>> wavs = [torch.full((8,), a) for a in (0.1, 0.3, 1.0, 3.0)]
    >>> feats = FeatureCache(Level())
    >>> x = normalised_features(feats, "speaker", wavs, ["a", "a", "b", "b"])
    >>> x.ravel().tolist()
    [-1.0, 1.0, -1.0, 1.0]
    >>> normalised_features(feats, "utterance", wavs, ["a"] * 4)
    Traceback (most recent call last):
    ...
    ValueError: normalisation 'utterance': use 'global' or 'speaker'
    """
    check_normalisation(normalisation)
    feats = features(wavs)
    if normalisation == "speaker":
        feats = speaker_zscore(feats, speakers)
    return feats


def check_normalisation(normalisation: str) -> None:
    """Refuses a normalisation that is not one of :data:`NORMALISATIONS`."""
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"normalisation {normalisation!r}: use 'global' or 'speaker'")


def _candidates(classifier: str, features: int, class_weight: str | None):
    """``(hyper-parameters, estimator)`` of a classifier's tuning grid.

    Example
    -------
    >>> [p for p, _ in _candidates("logistic", 10, None)][:2]
    [{'C': 0.1}, {'C': 1.0}]
    >>> len(list(_candidates("svm", 10, None)))
    15
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    for c in C_GRID:
        if classifier == "logistic":
            yield (
                {"C": c},
                LogisticRegression(C=c, class_weight=class_weight, max_iter=5000),
            )
            continue
        for scale in GAMMA_GRID:
            gamma = scale / features
            yield (
                {"C": c, "gamma": gamma},
                SVC(C=c, gamma=gamma, class_weight=class_weight),
            )


class ClassicBaseline:
    """Functionals, z-scoring (global or per speaker), a classifier tuned on validation.

    Arguments
    ---------
    features : FeatureCache
        Extracts (and caches) the functionals.
    normalisation : str
        ``global`` (a scaler fit on the training set) or ``speaker``
        (:func:`speaker_zscore` in every split, then the global scaler).
    class_weight : str or None
        scikit-learn's ``class_weight`` (``balanced``: UA is the target).
    classifier : str
        One of :data:`CLASSIFIERS`: ``svm`` (RBF; ``C`` and ``gamma`` tuned)
        or ``logistic`` (``C`` tuned).
    """

    def __init__(
        self,
        features: FeatureCache,
        normalisation: str = "speaker",
        class_weight: str | None = "balanced",
        classifier: str = "svm",
    ):
        check_normalisation(normalisation)
        if classifier not in CLASSIFIERS:
            raise ValueError(f"classifier {classifier!r}: use 'svm' or 'logistic'")
        self.features = features
        self.normalisation = normalisation
        self.class_weight = class_weight
        self.classifier = classifier
        self.model = None
        self.classes: list[str] = []
        self.tuning: list[dict] = []

    def inputs(
        self, wavs: Sequence[torch.Tensor], speakers: Sequence[str]
    ) -> np.ndarray:
        """``(utterances, features)`` the classifier reads: its z-scored functionals."""
        return normalised_features(self.features, self.normalisation, wavs, speakers)

    def fit(self, train: LabelledAudio, valid: LabelledAudio) -> ClassicBaseline:
        """Trains on ``train`` for every grid point; keeps the best on ``valid``."""
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.classes = sorted(set(train.labels))
        x_train = self.inputs(train.wavs, train.speakers)
        x_valid = self.inputs(valid.wavs, valid.speakers)
        best = None
        grid = _candidates(self.classifier, x_train.shape[1], self.class_weight)
        for params, estimator in grid:
            model = make_pipeline(StandardScaler(), estimator)
            model.fit(x_train, train.labels)
            ua = classification_report(
                valid.labels, list(model.predict(x_valid)), self.classes
            )["unweighted_accuracy"]
            self.tuning.append({**params, "valid_UA": ua})
            if best is None or ua > best[0]:
                best = (ua, model)
        self.model = best[1]
        return self

    def predict(
        self, wavs: Sequence[torch.Tensor], speakers: Sequence[str]
    ) -> list[str]:
        """Labels of ``wavs`` (``speakers``: for per-speaker z-scoring)."""
        return [str(x) for x in self.model.predict(self.inputs(wavs, speakers))]

    def predictor(self, speakers: Sequence[str]) -> Callable[[list], list[str]]:
        """A ``gain_robustness`` predictor for waveforms of these speakers."""
        return lambda wavs: self.predict(wavs, speakers)

    @property
    def best(self) -> dict:
        """The chosen hyper-parameters (C, gamma), and their validation UA."""
        return max(self.tuning, key=lambda t: t["valid_UA"])


def _size(estimator) -> dict[str, int]:
    """``params`` of a fitted classifier (and an SVM's ``support_vectors``)."""
    if hasattr(estimator, "support_vectors_"):
        vectors = estimator.support_vectors_
        return {
            "params": int(vectors.size + estimator.dual_coef_.size)
            + int(estimator.intercept_.size),
            "support_vectors": int(vectors.shape[0]),
        }
    return {"params": int(estimator.coef_.size + estimator.intercept_.size)}


def _seconds(data: LabelledAudio, sample_rate: int) -> float:
    return sum(len(w) for w in data.wavs) / sample_rate


def _inference_cost(
    baseline: ClassicBaseline,
    extractor: Callable,
    test: LabelledAudio,
    sample_rate: int,
) -> tuple[int, tuple[float, float]]:
    """Features per utterance, and the real-time factors at batch 1 and 16.

    The cost of one test utterance: its features (timed afresh, not from
    the cache), then the SVM, one utterance or 16 at a time.
    """
    start = time.perf_counter()
    test_feats = np.stack([extractor(w) for w in test.wavs])
    extract_seconds = time.perf_counter() - start
    inputs = baseline.inputs(test.wavs, test.speakers)
    start = time.perf_counter()
    for row in inputs:
        baseline.model.predict(row[None])
    svm_b1 = time.perf_counter() - start
    start = time.perf_counter()
    for first in range(0, len(inputs), 16):
        baseline.model.predict(inputs[first : first + 16])
    svm_b16 = time.perf_counter() - start
    test_seconds = _seconds(test, sample_rate)
    rtf = (
        (extract_seconds + svm_b1) / test_seconds,
        (extract_seconds + svm_b16) / test_seconds,
    )
    return int(test_feats.shape[1]), rtf


def _transfer(
    baseline: ClassicBaseline,
    test: LabelledAudio,
    conditions: Sequence[str],
    domains: Sequence[str | Path],
    sample_rate: int,
    seed: int,
) -> dict:
    """The cross-domain table of the baseline (its z-scoring's column)."""
    # per-speaker z-scoring makes every prediction relative to its speaker
    mode = "speaker" if baseline.normalisation == "speaker" else "utterance"
    return transfer_table(
        {mode: baseline.predictor},
        test,
        select_conditions(conditions, sample_rate, test.speakers, seed),
        {Path(d).name: read_domain(d, sample_rate) for d in domains},
        classes=baseline.classes,
    )


def run_classic(
    train_manifest: str | Path,
    valid_manifest: str | Path,
    test_manifest: str | Path,
    data_folder: str | Path | None = None,
    features: str = "auto",
    normalisation: str = "speaker",
    sample_rate: int = 16000,
    cache: str | Path | None = None,
    conditions: Sequence[str] = (),
    domains: Sequence[str | Path] = (),
    seed: int = 0,
    level_invariant: bool = False,
    classifier: str = "svm",
) -> dict:
    """Trains, tunes and tests the classic baseline; a bench row's measurements.

    Arguments
    ---------
    train_manifest, valid_manifest, test_manifest : str or Path
        The emotion manifests (``ID, wav, spk_id, gender, emo``).
    data_folder : str or Path, optional
        The corpus folder (``$data_root``).
    features : str
        ``auto``, ``egemaps`` or ``functionals`` (:func:`feature_extractor`).
    normalisation : str
        ``global`` or ``speaker``.
    sample_rate : int
        The rate audio is read at.
    cache : str or Path, optional
        A folder where features are kept between runs.
    conditions : sequence of str
        Condition groups of the cross-domain table
        (:func:`speechbrain_lstm_ser.evaluation.transfer.transfer_table`);
        with ``domains``, the result gets ``transfer``.
    domains : sequence of path
        Other domains (never trained or tuned on) for that table.
    seed : int
        Seed of its noises and rooms.
    level_invariant : bool
        Only the functionals a gain does not move (:class:`LevelInvariant`).
    classifier : str
        One of :data:`CLASSIFIERS`.

    Returns
    -------
    dict
        The keys of a ``bench.measure`` result (``UA``, ``WA``, ``macro_F1``,
        ``predictions``, ``params``, ``size_bytes``, ``rtf_batch1``,
        ``rtf_batch16``, ``peak_rss_mb``, ``training``, ...), ``UA_by_gender``,
        ``tuning`` and ``robustness`` (per condition).
    """
    rss_imports = peak_rss_mb()
    extractor = feature_extractor(features, sample_rate, level_invariant)
    cached = FeatureCache(extractor, cache)
    read = lambda m: read_labelled_audio(m, data_folder, sample_rate)  # noqa: E731
    train, valid, test = read(train_manifest), read(valid_manifest), read(test_manifest)
    baseline = ClassicBaseline(cached, normalisation, classifier=classifier)
    start = time.perf_counter()
    baseline.fit(train, valid)
    train_seconds = time.perf_counter() - start
    classes = baseline.classes

    features_count, rtf = _inference_cost(baseline, extractor, test, sample_rate)
    test_seconds = _seconds(test, sample_rate)

    predicted = baseline.predict(test.wavs, test.speakers)
    report = classification_report(
        test.labels, predicted, classes, groups={"gender": test.genders}
    )
    robustness = gain_robustness(
        baseline.predictor(test.speakers), test.wavs, test.labels, classes=classes
    )
    transfer = None
    if conditions or domains:
        transfer = _transfer(baseline, test, conditions, domains, sample_rate, seed)
    return {
        **({"transfer": transfer} if transfer else {}),
        "kind": "classic",
        "feature_set": extractor.name,
        "features": features_count,
        "normalisation": normalisation,
        "chosen": baseline.best,
        "tuning": baseline.tuning,
        "classifier": classifier,
        **_size(baseline.model[-1]),
        "size_bytes": len(pickle.dumps(baseline.model)),
        "test_utterances": len(test.wavs),
        "test_audio_seconds": round(test_seconds, 2),
        "rss_after_imports_mb": round(rss_imports, 1),
        "rtf_batch1": rtf[0],
        "rtf_batch16": rtf[1],
        "UA": report["unweighted_accuracy"],
        "WA": report["accuracy"],
        "macro_F1": report["macro_f1"],
        "UA_by_gender": {
            g: r["unweighted_accuracy"] for g, r in report["by_gender"].items()
        },
        "predictions": dict(zip(test.ids, predicted, strict=True)),
        "train_time_s": train_seconds,
        "training": {
            "audio_seconds_per_second": _seconds(train, sample_rate) / train_seconds,
            "note": "feature extraction (train, valid) and the whole tuning grid",
            "feature_extraction_s": round(cached.seconds, 2),  # 0: all from --cache
        },
        "robustness": {
            name: {k: v for k, v in r.items() if k != "predictions"}
            for name, r in robustness.items()
        },
        "robustness_failures": robustness_failures(robustness),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """The data options of the classic baselines' command lines.

    ``--manifests`` (a folder, see :func:`manifest_splits`), ``--data_folder``,
    ``--features``, ``--level_invariant``, ``--sample_rate`` and ``--cache``.

    Example
    -------
    >>> parser = argparse.ArgumentParser()
    >>> add_data_options(parser)
    >>> parser.parse_args(["--manifests", "m"]).features
    'auto'
    """
    parser.add_argument(
        "--manifests", required=True, help="folder with train/valid/test.csv"
    )
    parser.add_argument("--data_folder", help="the corpus folder ($data_root)")
    parser.add_argument("--features", default="auto", choices=FEATURE_SETS)
    parser.add_argument(
        "--level_invariant",
        action="store_true",
        help="only the functionals a gain does not move (no loudness, sound "
        "level or spectral flux)",
    )
    parser.add_argument("--sample_rate", type=int, default=16000)
    parser.add_argument("--cache", help="folder where features are kept")


def add_classifier_option(parser: argparse.ArgumentParser) -> None:
    """``--classifier``: one of :data:`CLASSIFIERS` (default ``svm``).

    Example
    -------
    >>> parser = argparse.ArgumentParser()
    >>> add_classifier_option(parser)
    >>> parser.parse_args(["--classifier", "logistic"]).classifier
    'logistic'
    """
    parser.add_argument(
        "--classifier",
        default="svm",
        choices=CLASSIFIERS,
        help="over the functionals: RBF SVM (C, gamma tuned on validation) or "
        "logistic regression (C tuned)",
    )


def manifest_splits(folder: str | Path) -> tuple[Path, Path, Path]:
    """The ``train.csv``, ``valid.csv`` and ``test.csv`` of a manifest folder.

    Example
    -------
    >>> [p.name for p in manifest_splits("manifests")]
    ['train.csv', 'valid.csv', 'test.csv']
    """
    train, valid, test = (Path(folder) / f"{s}.csv" for s in ("train", "valid", "test"))
    return train, valid, test


def main(argv: list[str] | None = None) -> dict:
    """Runs the classic baseline on a folder of manifests (see ``--help``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_options(parser)
    parser.add_argument("--normalisation", default="speaker", choices=NORMALISATIONS)
    add_classifier_option(parser)
    parser.add_argument("--output", help="the JSON to write")
    add_transfer_options(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    result = run_classic(
        *manifest_splits(args.manifests),
        data_folder=args.data_folder,
        features=args.features,
        normalisation=args.normalisation,
        sample_rate=args.sample_rate,
        cache=args.cache,
        conditions=transfer_groups(args.conditions),
        domains=args.domain,
        seed=args.transfer_seed,
        level_invariant=args.level_invariant,
        classifier=args.classifier,
    )
    if args.output:
        write_json(args.output, result)
    rob = result["robustness"]
    chosen = " ".join(
        f"{k}={v:.4g}" for k, v in result["chosen"].items() if k != "valid_UA"
    )
    print(
        f"{result['feature_set']} ({result['features']}), {args.normalisation} "
        f"z-scoring, {args.classifier} {chosen}"
        f" (valid UA {result['chosen']['valid_UA']:.3f}): test UA {result['UA']:.3f}"
        f" WA {result['WA']:.3f}; "
        + ", ".join(f"{g} {ua:.3f}" for g, ua in result["UA_by_gender"].items())
    )
    print(
        "robustness: "
        + ", ".join(
            f"{n} UA {r['UA']:.3f} ({100 * r['unchanged']:.0f} % unchanged)"
            for n, r in rob.items()
        )
    )
    if "transfer" in result:
        print(format_transfer_table(result["transfer"]))
    return result


if __name__ == "__main__":
    main()
