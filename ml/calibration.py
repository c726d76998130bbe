"""Calibration of a late-payment score on the latest window, and its expected calibration error.

A score ranks invoices; a probability must also mean what it says ("0.3" → about 30 % paid late).
After a drift in the late rate a model trained on older invoices says too much, so the score is
mapped to a probability on the **latest** labelled window (the validation window of
ml/selection.py). Three maps compete:

- ``none``: the score as it is;
- ``platt``: a logistic curve on the score's log-odds (two parameters: smooth, hard to overfit);
- ``isotonic``: a monotone step function (flexible; needs a few hundred rows to be steady).

The map is chosen honestly: each one is fitted on the earlier half of the window and judged by
log-loss on the later half; the simpler wins within ``TIE_LOGLOSS``; the chosen map is then
refitted on the whole window. Maps are plain numbers (JSON), so they are stored with the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

CalibrationKind = Literal["none", "platt", "isotonic"]
ECE_BINS = 10
TIE_LOGLOSS = 0.001  # a more flexible map must lower the later half's log-loss by more than this
MIN_CALIBRATION_ROWS = 60  # below this (or one class in a half) the score is left as it is
_EPS = 1e-6


def expected_calibration_error(labels: np.ndarray, scores: np.ndarray, n_bins: int = ECE_BINS) -> float | None:
    """ECE over ``n_bins`` equal-width bins: the row-weighted mean |mean predicted − observed late share|."""
    y = np.asarray(labels, dtype="float64")
    p = np.clip(np.asarray(scores, dtype="float64"), 0.0, 1.0)
    if len(y) == 0:
        return None
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], p, side="right")
    total = 0.0
    for b in range(n_bins):
        pick = bins == b
        if pick.any():
            total += pick.sum() * abs(p[pick].mean() - y[pick].mean())
    return round(float(total / len(y)), 4)


def reliability_bins(labels: np.ndarray, scores: np.ndarray, n_bins: int = ECE_BINS) -> dict[str, list[Any]]:
    """Per non-empty bin: mean predicted, observed late share and count (for the reliability plot)."""
    y = np.asarray(labels, dtype="float64")
    p = np.clip(np.asarray(scores, dtype="float64"), 0.0, 1.0)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], p, side="right")
    out: dict[str, list[Any]] = {"mean_predicted": [], "observed_late_share": [], "count": []}
    for b in range(n_bins):
        pick = bins == b
        if pick.any():
            out["mean_predicted"].append(round(float(p[pick].mean()), 4))
            out["observed_late_share"].append(round(float(y[pick].mean()), 4))
            out["count"].append(int(pick.sum()))
    return out


def log_loss(labels: np.ndarray, scores: np.ndarray) -> float:
    y = np.asarray(labels, dtype="float64")
    p = np.clip(np.asarray(scores, dtype="float64"), _EPS, 1 - _EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype="float64"), _EPS, 1 - _EPS)
    return np.asarray(np.log(q / (1 - q)))


@dataclass(frozen=True)
class Calibrator:
    """A fitted map from score to probability (JSON-serialisable)."""

    kind: CalibrationKind = "none"
    params: dict[str, list[float]] = field(default_factory=dict)
    choice: dict[str, Any] = field(default_factory=dict)  # how it was chosen (log-loss per kind)

    def apply(self, scores: np.ndarray) -> np.ndarray:
        p = np.clip(np.asarray(scores, dtype="float64"), 0.0, 1.0)
        if self.kind == "platt":
            a, b = self.params["coef"][0], self.params["coef"][1]
            return np.asarray(1.0 / (1.0 + np.exp(-(a * _logit(p) + b))))
        if self.kind == "isotonic":
            return np.asarray(np.interp(p, self.params["x"], self.params["y"]))
        return np.asarray(p)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "params": self.params, "choice": self.choice}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Calibrator:
        data = data or {}
        return cls(kind=data.get("kind", "none"), params=data.get("params", {}), choice=data.get("choice", {}))


def _fit_kind(kind: CalibrationKind, labels: np.ndarray, scores: np.ndarray) -> Calibrator:
    y = np.asarray(labels, dtype="float64")
    if kind == "platt":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1e4, max_iter=1000).fit(_logit(scores).reshape(-1, 1), y.astype("int64"))
        return Calibrator("platt", {"coef": [float(model.coef_[0, 0]), float(model.intercept_[0])]})
    if kind == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(np.asarray(scores, "float64"), y)
        return Calibrator(
            "isotonic", {"x": [float(v) for v in iso.X_thresholds_], "y": [float(v) for v in iso.y_thresholds_]}
        )
    return Calibrator("none")


def _usable(labels: np.ndarray) -> bool:
    return len(labels) >= MIN_CALIBRATION_ROWS // 2 and 0 < float(np.mean(labels)) < 1


def fit_calibrator(labels: np.ndarray, scores: np.ndarray, order: np.ndarray | None = None) -> Calibrator:
    """Choose and fit the map on a window of labelled scores.

    ``order``: the rows' time order (e.g. issue dates); the earlier half fits, the later half
    judges. Without enough rows or with one class in a half, the score is left as it is.
    """
    y = np.asarray(labels, dtype="float64")
    p = np.asarray(scores, dtype="float64")
    if len(y) < MIN_CALIBRATION_ROWS:
        return Calibrator("none", choice={"reason": f"fewer than {MIN_CALIBRATION_ROWS} rows"})
    rank = np.argsort(np.asarray(order) if order is not None else np.arange(len(y)), kind="stable")
    first, second = rank[: len(rank) // 2], rank[len(rank) // 2 :]
    if not (_usable(y[first]) and _usable(y[second])):
        return Calibrator("none", choice={"reason": "one outcome only in a half of the window"})
    losses: dict[str, float] = {}
    for kind in ("none", "platt", "isotonic"):
        fitted = _fit_kind(kind, y[first], p[first])
        losses[kind] = round(log_loss(y[second], fitted.apply(p[second])), 5)
    chosen: CalibrationKind = "none"
    for kind in ("platt", "isotonic"):  # simplest first: a flexible map must clearly win
        if losses[kind] < losses[chosen] - TIE_LOGLOSS:
            chosen = kind  # type: ignore[assignment]
    eces = {
        kind: expected_calibration_error(y[second], _fit_kind(kind, y[first], p[first]).apply(p[second]))  # type: ignore[arg-type]
        for kind in ("none", "platt", "isotonic")
    }
    final = _fit_kind(chosen, y, p)
    return Calibrator(
        final.kind,
        final.params,
        choice={"later_half_logloss": losses, "later_half_ece": eces, "n_fit": len(first), "n_judge": len(second)},
    )
