"""The figures of a backtest: discrimination with bootstrap intervals, calibration, the threshold's
accuracy, and the payment-date error. Pure functions of labels and scores (numpy in, dicts out)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ml.calibration import expected_calibration_error

DEFAULT_BOOTSTRAP = 500
DEFAULT_SEED = 20240601
CALIBRATION_BINS = 10


def auc_or_none(labels: Any, scores: Any) -> float | None:
    """ROC-AUC rounded to 4 places, or None when the labels hold fewer than two classes (AUC
    undefined: no rows, or one outcome only)."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(labels)
    if len(y) == 0 or y.min() == y.max():
        return None
    return round(float(roc_auc_score(y, scores)), 4)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def bootstrap_ci(
    labels: np.ndarray,
    scores: np.ndarray,
    metric: Any,
    *,
    n_resamples: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
) -> tuple[float | None, float | None]:
    """95 % percentile interval of ``metric(labels, scores)`` over resamples of the rows with
    replacement (seeded: same inputs, same interval). Resamples holding one class are skipped;
    (None, None) when no resample has both or ``n_resamples`` is 0."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    values = []
    for _ in range(n_resamples):
        pick = rng.integers(0, n, n)
        sample = labels[pick]
        if sample.min() == sample.max():
            continue
        values.append(metric(sample, scores[pick]))
    if not values:
        return None, None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def classifier_metrics(
    labels: np.ndarray,
    scores: np.ndarray,
    *,
    threshold: float = 0.5,
    n_resamples: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """Every figure for one set of probabilities of "late" against 0/1 labels.

    ROC-AUC and PR-AUC (average precision) with bootstrap 95 % intervals, Brier score, the
    calibration curve (10 equal-width bins: mean predicted vs observed late share, with counts),
    and accuracy, precision and recall when "late" is predicted at ``scores >= threshold``.
    """
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y = np.asarray(labels, dtype="int64")
    p = np.clip(np.asarray(scores, dtype="float64"), 0.0, 1.0)
    out: dict[str, Any] = {"n": len(y), "n_late": int(y.sum()), "late_share": _round(y.mean()) if len(y) else None}
    both = len(y) > 0 and y.min() != y.max()
    for name, metric in (("roc_auc", roc_auc_score), ("pr_auc", average_precision_score)):
        point = float(metric(y, p)) if both else None
        low, high = bootstrap_ci(y, p, metric, n_resamples=n_resamples, seed=seed) if both else (None, None)
        out[name] = {"value": _round(point), "ci95_low": _round(low), "ci95_high": _round(high)}
    out["brier"] = _round(brier_score_loss(y, p)) if len(y) else None
    out["ece"] = expected_calibration_error(y, p, CALIBRATION_BINS) if len(y) else None
    predicted = p >= threshold
    true_pos = int((predicted & (y == 1)).sum())
    out["threshold"] = threshold
    out["accuracy"] = _round((predicted == (y == 1)).mean()) if len(y) else None
    out["precision"] = _round(true_pos / predicted.sum()) if predicted.sum() else None
    out["recall"] = _round(true_pos / y.sum()) if y.sum() else None
    out["flagged_share"] = _round(predicted.mean()) if len(y) else None
    if both:
        observed, mean_predicted = calibration_curve(y, p, n_bins=CALIBRATION_BINS, strategy="uniform")
        # The same bins as calibration_curve (which drops the empty ones).
        edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
        counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=CALIBRATION_BINS)
        out["calibration"] = {
            "mean_predicted": [_round(v) for v in mean_predicted],
            "observed_late_share": [_round(v) for v in observed],
            "count": [int(c) for c in counts if c > 0],
        }
    else:
        out["calibration"] = {"mean_predicted": [], "observed_late_share": [], "count": []}
    return out


def date_error(predicted: pd.Series, actual: pd.Series) -> dict[str, Any]:
    """Mean and median absolute error in days of predicted payment dates (datetime64) against the
    actual ones, over the rows where the actual date is known."""
    known = actual.notna() & predicted.notna()
    days = (predicted[known] - actual[known]).dt.days.abs().astype("float64")
    return {
        "n": int(known.sum()),
        "mae_days": _round(days.mean(), 2) if len(days) else None,
        "median_abs_error_days": _round(days.median(), 2) if len(days) else None,
    }


def paired_auc_difference(
    labels: np.ndarray,
    scores: np.ndarray,
    baseline: np.ndarray,
    *,
    n_resamples: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """ROC-AUC of ``scores`` minus that of ``baseline`` on the same rows, with a paired bootstrap
    95 % interval (each resample draws rows once and scores both on them): the interval above
    zero is the evidence that the model ranks better than the baseline on this book."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(labels, dtype="int64")
    a, b = np.asarray(scores, dtype="float64"), np.asarray(baseline, dtype="float64")
    if len(y) == 0 or y.min() == y.max():
        return {"value": None, "ci95_low": None, "ci95_high": None}
    point = float(roc_auc_score(y, a) - roc_auc_score(y, b))
    stacked = np.column_stack([a, b])

    def _diff(sample_y: np.ndarray, sample: np.ndarray) -> float:
        return float(roc_auc_score(sample_y, sample[:, 0]) - roc_auc_score(sample_y, sample[:, 1]))

    low, high = bootstrap_ci(y, stacked, _diff, n_resamples=n_resamples, seed=seed)
    return {"value": _round(point), "ci95_low": _round(low), "ci95_high": _round(high)}
