"""Compares every benchmark row with the reference models: size, paired UA and CCC.

The UA of every categorical row is compared with the ``reference`` row's,
the CCCs of every row with dimensions with the ``dimension_reference``
row's, in each reference mode (``speaker``, ``utterance``) both have; each
difference with a 95 % paired bootstrap interval over the test utterances.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from speechbrain_lstm_ser.dataio.manifest import (
    DIMENSIONS,
    dimension_matrix,
    read_manifest,
)
from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.dimensions import concordance_correlation

__all__ = [
    "compare_dimensions",
    "compare_to_reference",
    "paired_bootstrap",
    "paired_ccc_bootstrap",
    "paired_runs_bootstrap",
]


def _paired_interval(
    difference: Callable[[np.ndarray], float], n: int, resamples: int, seed: int
) -> tuple[float | None, float | None, float | None]:
    """``difference`` on all ``n`` utterances, and its 95% bootstrap interval.

    ``difference(index)`` scores both models on the utterances ``index``
    (drawn with replacement in each resample); resamples where it is
    undefined (nan) are left out. ``None`` where nothing is defined.
    """
    delta = float(difference(np.arange(n)))
    if not np.isfinite(delta):
        return None, None, None
    rng = np.random.default_rng(seed)
    samples = np.array([difference(i) for i in rng.integers(0, n, (resamples, n))])
    samples = samples[np.isfinite(samples)]
    if not samples.size:
        return round(delta, 6), None, None
    low, high = np.percentile(samples, [2.5, 97.5])
    return round(delta, 6), round(float(low), 6), round(float(high), 6)


def paired_bootstrap(
    references: Sequence[str],
    baseline: Sequence[str],
    other: Sequence[str],
    labels: Sequence[str],
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """UA difference (other - baseline) with a 95% paired bootstrap interval.

    Both models are scored on the same resampled utterances, so the
    interval reflects how much the difference depends on which test
    utterances were drawn (not on training randomness).

    Arguments
    ---------
    references : sequence of str
        True labels.
    baseline, other : sequence of str
        Predictions of the two models, same utterances, same order.
    labels : sequence of str
        The class set.
    resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling.

    Returns
    -------
    delta, low, high : float

    Example
    -------
    >>> refs = ["a", "b"] * 20
    >>> paired_bootstrap(refs, refs, refs, ["a", "b"], resamples=50)
    (0.0, 0.0, 0.0)
    """

    def ua(preds, index):
        return classification_report(
            [references[i] for i in index], [preds[i] for i in index], labels
        )["unweighted_accuracy"]

    return _paired_interval(
        lambda index: ua(other, index) - ua(baseline, index),
        len(references),
        resamples,
        seed,
    )


def _ua_of_draws(references: np.ndarray, correct: np.ndarray, draws: np.ndarray):
    """UA (mean recall over the classes drawn) of each row of ``draws``.

    ``correct`` marks the utterances a model got right; ``draws`` is
    ``(resamples, n)`` utterance indices. Matches
    :func:`~speechbrain_lstm_ser.evaluation.classification.classification_report`'s
    ``unweighted_accuracy`` on each draw.
    """
    refs, right = references[draws], correct[draws]
    recalls = []
    for c in np.unique(references):
        of_class = refs == c
        count = of_class.sum(axis=1)
        hits = (right & of_class).sum(axis=1)
        recalls.append(np.where(count > 0, hits / np.maximum(count, 1), np.nan))
    return np.nanmean(np.stack(recalls), axis=0)


def paired_runs_bootstrap(
    pairs: Sequence[tuple[Sequence[str], Sequence[str], Sequence[str], Sequence[str]]],
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Mean UA difference over paired runs (other - baseline), 95% bootstrap interval.

    Each pair is one seed of both models measured on the same utterances.
    The difference is the mean over the pairs of each pair's UA difference;
    each resample draws the utterances with replacement: one draw shared by
    the pairs measured on the same ids (a domain every seed is measured on),
    its own draw for pairs on other utterances (test splits that differ by
    seed). So the interval reflects which utterances were drawn, with the
    seeds' training randomness averaged over the pairs.

    Arguments
    ---------
    pairs : sequence of tuple
        ``(ids, references, baseline, other)``: utterance ids, true labels,
        and the two models' predicted labels, in the same order.
    resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling.

    Returns
    -------
    delta, low, high : float

    Example
    -------
    >>> ids, refs = ["u1", "u2", "u3", "u4"], ["a", "a", "b", "b"]
    >>> better = (ids, refs, ["a", "b", "a", "b"], refs)  # 0.5 -> 1.0
    >>> same = (ids, refs, refs, refs)
    >>> paired_runs_bootstrap([better, same], resamples=50)[0]
    0.25
    """
    if not pairs:
        raise ValueError("no pairs of runs to compare")
    draws: dict[tuple, np.ndarray] = {}
    rng = np.random.default_rng(seed)
    deltas, samples = [], []
    for ids, references, baseline, other in pairs:
        n = len(ids)
        if not n or not len(references) == len(baseline) == len(other) == n:
            raise ValueError(
                f"a pair of runs has {n} ids, {len(references)} labels and "
                f"{len(baseline)} / {len(other)} predictions: they must match"
            )
        key = tuple(ids)
        if key not in draws:
            draws[key] = rng.integers(0, n, (resamples, n))
        refs = np.asarray(references)
        hits = [np.asarray(p) == refs for p in (baseline, other)]
        every = np.arange(n)[None, :]
        ua_base, ua_other = (_ua_of_draws(refs, h, every)[0] for h in hits)
        deltas.append(ua_other - ua_base)
        samples.append(
            _ua_of_draws(refs, hits[1], draws[key])
            - _ua_of_draws(refs, hits[0], draws[key])
        )
    low, high = np.percentile(np.mean(samples, axis=0), [2.5, 97.5])
    return (
        round(float(np.mean(deltas)), 6),
        round(float(low), 6),
        round(float(high), 6),
    )


def compare_to_reference(
    results: dict[str, dict],
    reference: str,
    test_manifest: str | Path,
    resamples: int = 1000,
) -> None:
    """Adds ``size_ratio`` and ``delta_UA_vs_reference`` to every result.

    Rows without ``predictions`` (no classes: an SVR) get no UA
    difference, rows without ``size_bytes`` no size ratio.

    Arguments
    ---------
    results : dict
        Per model, its measurements (``size_bytes`` and ``predictions``,
        per test utterance ID); changed in place.
    reference : str
        The model compared with (nothing is added without its result).
    test_manifest : str or Path
        The test manifest (``ID`` first, the label sixth).
    resamples : int
        Bootstrap resamples of :func:`paired_bootstrap`.

    Example
    -------
    >>> import tempfile
    >>> manifest = Path(tempfile.mkdtemp()) / "test.csv"
    >>> rows = ["ID,duration,wav,spk_id,gender,emo"]
    >>> rows += [f"u{i},1.0,x.wav,s,f,{'ab'[i % 2]}" for i in range(4)]
    >>> _ = manifest.write_text(chr(10).join(rows))
    >>> right = {f"u{i}": "ab"[i % 2] for i in range(4)}
    >>> results = {
    ...     "ref": {"size_bytes": 200, "predictions": right},
    ...     "half": {"size_bytes": 100, "predictions": {**right, "u0": "b", "u1": "a"}},
    ... }
    >>> compare_to_reference(results, "ref", manifest, resamples=20)
    >>> results["half"]["size_ratio"], results["half"]["delta_UA_vs_reference"][0]
    (2.0, -0.5)
    """
    ref = results.get(reference)
    if ref is None:
        return
    for result in results.values():
        if "size_bytes" in result:
            result["size_ratio"] = ref["size_bytes"] / result["size_bytes"]
    if "predictions" not in ref:
        return
    ids = sorted(ref["predictions"])
    labels = {
        row.split(",")[0]: row.split(",")[5]
        for row in Path(test_manifest).read_text().splitlines()[1:]
    }
    references = [labels[i] for i in ids]
    classes = sorted(set(references))
    for result in results.values():
        if "predictions" not in result:  # a row without classes (an SVR)
            continue
        delta = paired_bootstrap(
            references,
            [ref["predictions"][i] for i in ids],
            [result["predictions"][i] for i in ids],
            classes,
            resamples=resamples,
        )
        result["delta_UA_vs_reference"] = delta


def paired_ccc_bootstrap(
    references,
    baseline,
    other,
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[float | None, float | None, float | None]:
    """CCC difference (other - baseline) with a 95% paired bootstrap interval.

    Both models' CCCs are computed on the same resampled utterances (with
    :func:`~speechbrain_lstm_ser.evaluation.dimensions.concordance_correlation`),
    so the interval reflects how much the difference depends on which test
    utterances were drawn (not on training randomness). Resamples where a
    CCC is undefined are left out.

    Arguments
    ---------
    references : array_like
        ``(n,)`` true values of one dimension (known: no nan).
    baseline, other : array_like
        ``(n,)`` predictions of the two models, same utterances, same order.
    resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling.

    Returns
    -------
    delta, low, high : float or None
        ``None`` where undefined (fewer than 2 utterances).

    Example
    -------
    >>> refs = np.linspace(0, 1, 20)
    >>> paired_ccc_bootstrap(refs, refs, refs, resamples=50)
    (0.0, 0.0, 0.0)
    >>> delta, low, high = paired_ccc_bootstrap(refs, refs, refs / 2, resamples=50)
    >>> delta < 0 and low <= delta <= high
    True
    """
    r, a, b = (np.asarray(x, dtype=np.float64) for x in (references, baseline, other))

    def difference(index) -> float:
        return concordance_correlation(b[index], r[index]) - concordance_correlation(
            a[index], r[index]
        )

    return _paired_interval(difference, len(r), resamples, seed)


def compare_dimensions(
    results: dict[str, dict],
    reference: str | None,
    test_manifest: str | Path,
    resamples: int = 1000,
) -> None:
    """Adds ``delta_CCC_vs_reference`` to every row with dimensions.

    For each reference mode (``speaker``, ``utterance``) that a row and the
    reference row both have, and each dimension: the CCC difference (row -
    reference) on the test utterances where that dimension is known, with
    the 95 % interval of :func:`paired_ccc_bootstrap`.

    Arguments
    ---------
    results : dict
        Per model, its measurements (``dimension_predictions``: mode -> test
        utterance ID -> one value per dimension); changed in place.
    reference : str, optional
        The row compared with (nothing is added without its result).
    test_manifest : str or Path
        The test manifest (its dimension columns).
    resamples : int
        Bootstrap resamples.

    Example
    -------
    >>> import tempfile
    >>> manifest = Path(tempfile.mkdtemp()) / "test.csv"
    >>> rows = ["ID,duration,wav,arousal,valence,dominance"]
    >>> rows += [f"u{i},1.0,x.wav,{i / 9},{i / 9},0.5" for i in range(10)]
    >>> _ = manifest.write_text(chr(10).join(rows))
    >>> right = {f"u{i}": [i / 9, i / 9, 0.5] for i in range(10)}
    >>> flat = {u: [0.5, v, 0.5] for u, (_, v, _) in right.items()}
    >>> results = {
    ...     "ref": {"dimension_predictions": {"speaker": right}},
    ...     "flat": {"dimension_predictions": {"speaker": flat, "utterance": flat}},
    ...     "svm": {"UA": 0.5},
    ... }
    >>> compare_dimensions(results, "ref", manifest, resamples=20)
    >>> delta = results["flat"]["delta_CCC_vs_reference"]
    >>> sorted(delta), delta["speaker"]["arousal"], delta["speaker"]["valence"]
    (['speaker'], [-1.0, -1.0, -1.0], [0.0, 0.0, 0.0])
    >>> delta["speaker"]["dominance"], "delta_CCC_vs_reference" in results["svm"]
    ([None, None, None], False)
    """
    ref = results.get(reference) if reference else None
    if ref is None or "dimension_predictions" not in ref:
        return
    rows = read_manifest(test_manifest, required=("ID",))
    truth = dict(zip((r["ID"] for r in rows), dimension_matrix(rows), strict=True))
    for result in results.values():
        table = {}
        for mode, predictions in result.get("dimension_predictions", {}).items():
            baseline = ref["dimension_predictions"].get(mode)
            if baseline is None:
                continue
            ids = sorted(baseline)
            r = np.stack([truth[i] for i in ids])
            a = np.array([baseline[i] for i in ids])
            b = np.array([predictions[i] for i in ids])
            table[mode] = {}
            for d, name in enumerate(DIMENSIONS):
                known = ~np.isnan(r[:, d])
                table[mode][name] = list(
                    paired_ccc_bootstrap(
                        r[known, d], a[known, d], b[known, d], resamples=resamples
                    )
                )
        if table:
            result["delta_CCC_vs_reference"] = table
