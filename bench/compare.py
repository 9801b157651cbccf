"""Compares every benchmark row with the reference model: size and paired UA.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from speechbrain_lstm_ser.evaluation.classification import classification_report

__all__ = ["compare_to_reference", "paired_bootstrap"]


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

    every = range(len(references))
    delta = ua(other, every) - ua(baseline, every)
    rng = np.random.default_rng(seed)
    samples = [
        ua(other, index) - ua(baseline, index)
        for index in rng.integers(0, len(references), (resamples, len(references)))
    ]
    low, high = np.percentile(samples, [2.5, 97.5])
    return round(delta, 6), round(float(low), 6), round(float(high), 6)


def compare_to_reference(
    results: dict[str, dict],
    reference: str,
    test_manifest: str | Path,
    resamples: int = 1000,
) -> None:
    """Adds ``size_ratio`` and ``delta_UA_vs_reference`` to every result.

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
    ids = sorted(ref["predictions"])
    labels = {
        row.split(",")[0]: row.split(",")[5]
        for row in Path(test_manifest).read_text().splitlines()[1:]
    }
    references = [labels[i] for i in ids]
    classes = sorted(set(references))
    for result in results.values():
        result["size_ratio"] = ref["size_bytes"] / result["size_bytes"]
        delta = paired_bootstrap(
            references,
            [ref["predictions"][i] for i in ids],
            [result["predictions"][i] for i in ids],
            classes,
            resamples=resamples,
        )
        result["delta_UA_vs_reference"] = delta
