"""Dimensional emotion metrics: CCC, Pearson and MAE, with bootstrap intervals.

Arousal, valence and dominance
(:data:`~speechbrain_lstm_ser.dataio.manifest.DIMENSIONS`, normalised to
``[0, 1]``) are scored per dimension as the MSP-Podcast
challenges and audEERING's papers score them:

- **CCC**, Lin's concordance correlation coefficient,
  ``2 cov(p, r) / (var(p) + var(r) + (mean(p) - mean(r)) ** 2)``, with
  *population* moments (divided by ``n``, Lin 1989; audmetric and the
  challenges' scoring scripts do the same; the sample convention differs by
  a factor ``(n - 1) / n`` in the covariances only, negligible for test sets
  of hundreds of utterances and arbitrary for a handful). CCC is Pearson's
  correlation penalised for a shift and a scale difference between
  prediction and reference: ``CCC <= |Pearson|``.
- **Pearson**'s correlation coefficient.
- **MAE**, the mean absolute error, in the normalised ``[0, 1]`` units.

The three come from audmetric (audEERING's maintained metrics package, MIT,
numpy only); this module defines what they return where they are undefined,
validates the inputs, and adds the report (:func:`dimension_report`):
overall, per gender, per speaker, with percentile-bootstrap intervals;
:class:`DimensionMetrics` accumulates a Brain's batches for it.

Degenerate inputs give ``nan`` (``None`` in a report), never an exception:

- fewer than 2 values: CCC and Pearson are ``nan`` (no variance to compare);
  MAE is ``nan`` only for no value at all;
- a constant prediction or reference: Pearson is ``nan`` (0 / 0); CCC is
  ``0`` (its numerator is 0, its denominator is not: a constant guess has no
  concordance, however close to the mean), or ``nan`` when both are the same
  constant (0 / 0);
- a ``nan`` in the inputs propagates to ``nan``; :func:`dimension_report`
  skips rows whose *reference* is unknown and rejects ``nan`` predictions.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import audmetric
import numpy as np

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS

__all__ = [
    "BOOTSTRAP_UNITS",
    "METRICS",
    "DimensionMetrics",
    "concordance_correlation",
    "dimension_report",
    "mean_absolute_error",
    "pearson",
]

#: What :func:`dimension_report` may resample for its intervals.
BOOTSTRAP_UNITS = ("utterance", "speaker")


def _pair(pred, ref) -> tuple[np.ndarray, np.ndarray]:
    """The two inputs as 1-D float arrays of one length (one-line errors)."""
    p = np.asarray(pred, dtype=np.float64)
    r = np.asarray(ref, dtype=np.float64)
    if p.ndim != 1 or r.ndim != 1:
        raise ValueError(
            f"expected 1-D predictions and references, got shapes {p.shape} and "
            f"{r.shape}: score one dimension at a time"
        )
    if p.shape != r.shape:
        raise ValueError(f"{p.size} predictions but {r.size} references")
    return p, r


def _constant(x: np.ndarray) -> bool:
    """All values equal (exactly: ``std()`` of equal values may not be 0)."""
    return bool(x.max() == x.min())


def concordance_correlation(pred, ref) -> float:
    """Lin's concordance correlation coefficient (population moments).

    Arguments
    ---------
    pred : array_like
        Predictions, shape ``(n,)``.
    ref : array_like
        References, shape ``(n,)``.

    Returns
    -------
    float
        CCC in ``[-1, 1]``; ``nan`` for fewer than 2 values or when both are
        the same constant; ``0.0`` when only one of them is constant.

    Example
    -------
    >>> concordance_correlation([0.0, 1.0, 2.0], [0.0, 1.0, 1.0])
    0.666...
    >>> concordance_correlation([0.5, 0.5, 0.5], [0.2, 0.5, 0.8])
    0.0
    >>> concordance_correlation([0.3], [0.3])
    nan
    """
    p, r = _pair(pred, ref)
    if p.size < 2:
        return math.nan
    if _constant(p) or _constant(r):  # exactly, not up to rounding
        return math.nan if _constant(p) and _constant(r) and p[0] == r[0] else 0.0
    return float(audmetric.concordance_cc(r, p))


def pearson(pred, ref) -> float:
    """Pearson's correlation coefficient.

    Arguments
    ---------
    pred : array_like
        Predictions, shape ``(n,)``.
    ref : array_like
        References, shape ``(n,)``.

    Returns
    -------
    float
        In ``[-1, 1]``; ``nan`` for fewer than 2 values or a constant input.

    Example
    -------
    >>> round(pearson([0.0, 1.0, 1.0], [0.0, 1.0, 2.0]), 6)
    0.866025
    >>> pearson([0.2, 0.5, 0.8], [0.5, 0.5, 0.5])
    nan
    """
    p, r = _pair(pred, ref)
    if p.size < 2 or _constant(p) or _constant(r):
        return math.nan
    return float(audmetric.pearson_cc(r, p))


def mean_absolute_error(pred, ref) -> float:
    """Mean absolute error.

    Arguments
    ---------
    pred : array_like
        Predictions, shape ``(n,)``.
    ref : array_like
        References, shape ``(n,)``.

    Returns
    -------
    float
        ``mean(|pred - ref|)``; ``nan`` for no value.

    Example
    -------
    >>> mean_absolute_error([0.0, 0.5], [0.0, 1.0])
    0.25
    """
    p, r = _pair(pred, ref)
    if p.size == 0:
        return math.nan
    return float(audmetric.mean_absolute_error(r, p))


#: Report key -> metric, in report order.
METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "ccc": concordance_correlation,
    "pearson": pearson,
    "mae": mean_absolute_error,
}


def _number(x: float) -> float | None:
    """A JSON-safe float: ``None`` for nan and infinities."""
    x = float(x)
    return x if math.isfinite(x) else None


def _scores(p: np.ndarray, r: np.ndarray) -> dict:
    """Every metric of one dimension's rows (plain floats, nan -> None)."""
    out: dict = {"n": int(p.size)}
    for key, metric in METRICS.items():
        out[key] = _number(metric(p, r))
    return out


#: Most weights held at once while bootstrapping (resamples x rows).
_CHUNK = 2_000_000


def _resample_counts(
    units: np.ndarray, resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """How often each row is drawn in each resample, shape ``(resamples, n)``.

    A resample draws as many units (rows, or speakers) as there are, with
    replacement, and keeps every row of each drawn unit: a row's count is
    its unit's.
    """
    keys, unit_of_row = np.unique(units, return_inverse=True)
    k = len(keys)
    draws = rng.integers(0, k, size=(resamples, k))
    offsets = (np.arange(resamples) * k)[:, None]
    counts = np.bincount((draws + offsets).ravel(), minlength=resamples * k)
    return counts.reshape(resamples, k)[:, unit_of_row].astype(np.float64)


def _weighted_metrics(p: np.ndarray, r: np.ndarray, w: np.ndarray) -> dict:
    """Every metric of each resample given as row counts ``w``, ``(B, n)``.

    The same definitions as :data:`METRICS` (population moments; ``nan`` for
    a constant resample's Pearson, and for CCC when both sides are the same
    constant; 0 CCC when one side is constant), vectorised over resamples:
    a row drawn ``c`` times weighs ``c``. The tests check it against
    :data:`METRICS` on the drawn rows.
    """
    drawn = w > 0
    const_p = np.where(drawn, p, -np.inf).max(1) == np.where(drawn, p, np.inf).min(1)
    const_r = np.where(drawn, r, -np.inf).max(1) == np.where(drawn, r, np.inf).min(1)
    total = w.sum(1)
    p0, r0 = p - p.mean(), r - r.mean()  # centred: fewer rounding errors
    mp0, mr0 = w @ p0 / total, w @ r0 / total
    var_p = np.where(const_p, 0.0, w @ (p0 * p0) / total - mp0**2)
    var_r = np.where(const_r, 0.0, w @ (r0 * r0) / total - mr0**2)
    cov = np.where(const_p | const_r, 0.0, w @ (p0 * r0) / total - mp0 * mr0)
    shift = (w @ p / total - w @ r / total) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        ccc = np.where(
            var_p + var_r + shift > 0, 2 * cov / (var_p + var_r + shift), np.nan
        )
        pear = np.where(const_p | const_r, np.nan, cov / np.sqrt(var_p * var_r))
    return {"ccc": ccc, "pearson": pear, "mae": w @ np.abs(p - r) / total}


def _intervals(
    p: np.ndarray,
    r: np.ndarray,
    units: np.ndarray,
    resamples: int,
    level: float,
    seed: int,
) -> dict:
    """Percentile-bootstrap intervals of every metric (``None`` if undefined)."""
    if resamples <= 0 or len(np.unique(units)) < 2:
        return {f"{key}_ci": None for key in METRICS}
    rng = np.random.default_rng(seed)
    values = {key: [] for key in METRICS}
    step = max(1, _CHUNK // len(p))
    for start in range(0, resamples, step):
        counts = _resample_counts(units, min(step, resamples - start), rng)
        for key, vals in _weighted_metrics(p, r, counts).items():
            values[key].append(vals)
    tail = 100 * (1 - level) / 2
    out = {}
    for key, vals in values.items():
        vals = np.concatenate(vals)
        vals = vals[np.isfinite(vals)]
        out[f"{key}_ci"] = (
            [_number(np.percentile(vals, q)) for q in (tail, 100 - tail)]
            if vals.size
            else None
        )
    return out


def _group_scores(
    pred: np.ndarray,
    ref: np.ndarray,
    units: np.ndarray,
    names: Sequence[str],
    resamples: int,
    level: float,
    seed: int,
) -> dict:
    """Per dimension: the metrics of the rows with a known reference (+ CIs)."""
    out = {}
    for d, name in enumerate(names):
        known = ~np.isnan(ref[:, d])
        p, r = pred[known, d], ref[known, d]
        out[name] = _scores(p, r)
        if resamples is not None:
            out[name].update(_intervals(p, r, units[known], resamples, level, seed))
    return out


def _speaker_summary(per_speaker: dict, names: Sequence[str]) -> dict:
    """Mean, sample std, min and max over speakers of each per-speaker metric."""
    out = {}
    for name in names:
        row: dict = {}
        for key in METRICS:
            vals = [
                s[name][key] for s in per_speaker.values() if s[name][key] is not None
            ]
            row["speakers"] = max(row.get("speakers", 0), len(vals))
            row[f"{key}_mean"] = _number(np.mean(vals)) if vals else None
            row[f"{key}_std"] = _number(np.std(vals, ddof=1)) if len(vals) > 1 else None
            row[f"{key}_min"] = _number(np.min(vals)) if vals else None
            row[f"{key}_max"] = _number(np.max(vals)) if vals else None
        out[name] = row
    return out


def _checked(
    predictions, references, names: Sequence[str], genders, speakers
) -> tuple[np.ndarray, np.ndarray]:
    """The two ``(N, D)`` arrays, validated (one-line errors)."""
    pred = np.asarray(predictions, dtype=np.float64)
    ref = np.asarray(references, dtype=np.float64)
    shape = (len(pred), len(names))
    if pred.ndim != 2 or pred.shape != shape or ref.shape != shape:
        raise ValueError(
            f"predictions {pred.shape} and references {ref.shape} must both be "
            f"(N, {len(names)}): one column per dimension {tuple(names)}"
        )
    bad = np.flatnonzero(~np.isfinite(pred).all(axis=1))
    if bad.size:
        raise ValueError(
            f"predictions are not finite at rows {bad[:5].tolist()}"
            f"{' ...' if bad.size > 5 else ''}: the model output nan or inf"
        )
    bad = np.flatnonzero(np.isinf(ref).any(axis=1))
    if bad.size:
        raise ValueError(
            f"references are infinite at rows {bad[:5].tolist()}: use nan for unknown"
        )
    for what, values in (("genders", genders), ("speakers", speakers)):
        if values is not None and len(values) != len(pred):
            raise ValueError(f"{len(values)} {what} for {len(pred)} rows")
    return pred, ref


def dimension_report(
    predictions,
    references,
    *,
    genders: Sequence[str] | None,
    speakers: Sequence[str] | None,
    names: Sequence[str] = DIMENSIONS,
    bootstrap: int = 1000,
    seed: int = 0,
    bootstrap_unit: str = "utterance",
    level: float = 0.95,
) -> dict:
    """CCC, Pearson and MAE per dimension: overall, per gender, per speaker.

    Rows whose reference is ``nan`` (unknown: a corpus without that
    dimension for that utterance) are skipped for that dimension only.
    Overall and per gender, every metric has a percentile-bootstrap interval
    (``<metric>_ci = [low, high]``): the metric recomputed on ``bootstrap``
    resamples drawn with replacement, and the ``(1 - level) / 2`` and
    ``(1 + level) / 2`` percentiles of those (resamples where the metric is
    undefined are left out). ``bootstrap_unit="utterance"`` resamples
    utterances; ``"speaker"`` resamples whole speakers (a cluster bootstrap),
    which is the honest interval for a claim about *new speakers*:
    utterances of one speaker are correlated, so utterance resampling
    understates the spread when the test set has few speakers. With only a
    handful of test speakers (IEMOCAP's two per fold, the embedded corpus),
    the speaker bootstrap has few distinct resamples and its interval is
    coarse; the report says which unit it used. A group with fewer than two
    units gets no interval (``None``).

    Per speaker, the metrics are computed within each speaker's rows (no
    interval; a speaker's CCC ignores the differences between speakers), and
    ``speaker_summary`` gives their mean, sample std, min and max over the
    speakers where each is defined.

    Arguments
    ---------
    predictions : array_like
        Shape ``(N, len(names))``, finite.
    references : array_like
        Shape ``(N, len(names))``; ``nan`` = unknown.
    genders : sequence of str, optional
        One per row; ``None`` leaves out ``per_gender``.
    speakers : sequence of str, optional
        One per row; ``None`` leaves out ``per_speaker`` and
        ``speaker_summary`` (and requires ``bootstrap_unit="utterance"``).
    names : sequence of str
        The columns' dimensions.
    bootstrap : int
        Number of resamples; 0 for no intervals.
    seed : int
        Seed of the resampling (every group and dimension uses it: the
        report is reproducible and does not depend on the order of groups).
    bootstrap_unit : str
        ``"utterance"`` or ``"speaker"``.
    level : float
        Coverage of the intervals, in ``(0, 1)``.

    Returns
    -------
    dict
        JSON-serialisable (plain floats, ``None`` for undefined):
        ``names`` (the dimensions), ``bootstrap`` (``resamples, unit,
        level, seed``),
        ``overall`` and ``per_gender[gender]`` (``{dimension: {n, ccc,
        ccc_ci, pearson, pearson_ci, mae, mae_ci}}``),
        ``per_speaker[speaker]`` (``{dimension: {n, ccc, pearson, mae}}``)
        and ``speaker_summary`` (``{dimension: {speakers, ccc_mean, ccc_std,
        ccc_min, ccc_max, ...}}``).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.random((40, 3))
    >>> pred = np.clip(ref + 0.1 * rng.standard_normal((40, 3)), 0, 1)
    >>> ref[0, 2] = np.nan  # dominance unknown for the first utterance
    >>> report = dimension_report(
    ...     pred,
    ...     ref,
    ...     genders=["female", "male"] * 20,
    ...     speakers=[f"spk{i % 4}" for i in range(40)],
    ...     bootstrap=100,
    ... )
    >>> arousal = report["overall"]["arousal"]
    >>> arousal["n"], report["overall"]["dominance"]["n"]
    (40, 39)
    >>> low, high = arousal["ccc_ci"]
    >>> bool(low < arousal["ccc"] < high), round(arousal["ccc"], 2)
    (True, 0.96)
    >>> sorted(report["per_gender"]), report["speaker_summary"]["valence"]["speakers"]
    (['female', 'male'], 4)
    """
    if bootstrap_unit not in BOOTSTRAP_UNITS:
        raise ValueError(
            f"bootstrap_unit={bootstrap_unit!r}: use one of {BOOTSTRAP_UNITS}"
        )
    if bootstrap_unit == "speaker" and speakers is None:
        raise ValueError('bootstrap_unit="speaker" needs the speakers of the rows')
    if not 0 < level < 1:
        raise ValueError(f"level={level}: the interval's coverage is in (0, 1)")
    pred, ref = _checked(predictions, references, names, genders, speakers)
    units = (
        np.asarray(speakers, dtype=str)
        if bootstrap_unit == "speaker"
        else np.arange(len(pred))
    )
    settings = dict(names=names, resamples=bootstrap, level=level, seed=seed)
    report: dict = {
        "names": list(names),
        "bootstrap": {
            "resamples": int(bootstrap),
            "unit": bootstrap_unit,
            "level": float(level),
            "seed": int(seed),
        },
        "overall": _group_scores(pred, ref, units, **settings),
    }
    if genders is not None:
        genders = np.asarray(genders, dtype=str)
        report["per_gender"] = {
            g: _group_scores(
                pred[genders == g], ref[genders == g], units[genders == g], **settings
            )
            for g in sorted(set(genders.tolist()))
        }
    if speakers is not None:
        speakers = np.asarray(speakers, dtype=str)
        report["per_speaker"] = {
            s: _group_scores(
                pred[speakers == s],
                ref[speakers == s],
                units[speakers == s],
                names=names,
                resamples=None,
                level=level,
                seed=seed,
            )
            for s in sorted(set(speakers.tolist()))
        }
        report["speaker_summary"] = _speaker_summary(report["per_speaker"], names)
    return report


class DimensionMetrics:
    """Accumulates dimensional predictions batch by batch, then reports.

    The regression twin of
    :class:`~speechbrain_lstm_ser.evaluation.classification.ClassificationMetrics`:
    a Brain appends each batch, reads :meth:`ccc` at the end of a
    validation epoch and :meth:`summarize` at the test stage.

    Arguments
    ---------
    names : sequence of str
        The dimensions, in the order of the predictions' last axis.

    Example
    -------
    >>> metrics = DimensionMetrics()
    >>> metrics.append(["u1", "u2"], np.array([[0.2, 0.3, 0.4], [0.6, 0.5, 0.6]]),
    ...                np.array([[0.1, 0.3, np.nan], [0.7, 0.6, 0.5]]),
    ...                genders=["female", "male"], speakers=["s1", "s2"])
    >>> metrics.append(["u3"], np.array([[0.9, 0.8, 0.7]]),
    ...                np.array([[0.8, 0.9, 0.9]]),
    ...                genders=["female"], speakers=["s1"])
    >>> {name: round(ccc, 3) for name, ccc in metrics.ccc().items()}
    {'arousal': 0.944, 'valence': 0.938, 'dominance': 0.444}
    >>> metrics.summarize(bootstrap=0)["overall"]["dominance"]["n"]
    2
    >>> metrics.rows()[0]
    {'ID': 'u1', 'arousal': 0.1, 'arousal_pred': 0.2, 'valence': 0.3, \
'valence_pred': 0.3, 'dominance': None, 'dominance_pred': 0.4}
    """

    def __init__(self, names: Sequence[str] = DIMENSIONS):
        self.names = list(names)
        self.clear()

    def clear(self) -> None:
        """Forgets everything appended so far."""
        self.ids: list[str] = []
        self.batches: list[tuple[np.ndarray, np.ndarray]] = []
        self.groups: dict[str, list[str]] = {}

    def append(
        self,
        ids: Sequence[str],
        predictions,
        targets,
        **groups: Sequence[str],
    ) -> None:
        """Adds a batch.

        Arguments
        ---------
        ids : sequence of str
            Utterance IDs.
        predictions : torch.Tensor or array_like
            ``(batch, dimensions)``.
        targets : torch.Tensor or array_like
            ``(batch, dimensions)``; ``nan`` = unknown.
        **groups : sequence of str
            ``genders=...`` and / or ``speakers=...``, one value per utterance,
            in every batch or in none.
        """
        pred, ref = (_numpy(x).reshape(len(ids), -1) for x in (predictions, targets))
        if pred.shape != ref.shape or pred.shape[1] != len(self.names):
            raise ValueError(
                f"predictions {pred.shape} and targets {ref.shape}: expected "
                f"({len(ids)}, {len(self.names)}) for {tuple(self.names)}"
            )
        if self.ids and set(groups) != set(self.groups):
            raise ValueError(
                f"groups {sorted(groups)} differ from {sorted(self.groups)}"
            )
        for name, values in groups.items():
            if len(values) != len(ids):
                raise ValueError(f"{name}: {len(values)} values for {len(ids)} ids")
        for name, values in groups.items():  # only once all are checked
            self.groups.setdefault(name, []).extend(values)
        self.ids.extend(ids)
        self.batches.append((pred, ref))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Everything appended: predictions and references, ``(N, dimensions)``."""
        if not self.batches:
            empty = np.zeros((0, len(self.names)))
            return empty, empty
        return tuple(np.concatenate(parts) for parts in zip(*self.batches, strict=True))

    def ccc(self) -> dict[str, float]:
        """Each dimension's CCC over the rows with a known reference."""
        pred, ref = self.arrays()
        known = ~np.isnan(ref)
        return {
            name: concordance_correlation(pred[known[:, d], d], ref[known[:, d], d])
            for d, name in enumerate(self.names)
        }

    def summarize(self, **options) -> dict:
        """:func:`dimension_report` of everything appended (``**options``: its own)."""
        pred, ref = self.arrays()
        return dimension_report(
            pred,
            ref,
            genders=self.groups.get("genders"),
            speakers=self.groups.get("speakers"),
            names=self.names,
            **options,
        )

    def rows(self) -> list[dict]:
        """One row per utterance: ``ID``, then each reference and prediction."""
        pred, ref = self.arrays()
        return [
            {
                "ID": uid,
                **{
                    key: (None if math.isnan(v) else round(float(v), 6))
                    for d, name in enumerate(self.names)
                    for key, v in ((name, r[d]), (f"{name}_pred", p[d]))
                },
            }
            for uid, p, r in zip(self.ids, pred, ref, strict=True)
        ]


def _numpy(values) -> np.ndarray:
    """A tensor or array-like as a float64 numpy array (detached, on the CPU)."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=np.float64)
