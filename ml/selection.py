"""A model chosen per book: three candidates compared on the latest window of the training period.

Another company's book may not reward our XGBoost: on a real export the customer's prior late
rate ranked invoices as well as it did, and a logistic regression better. So every training run
(the pipeline's, and each backtest split) lets three candidates compete, simplest first:

1. ``prior_late_rate`` — the customer's share of settled invoices paid late (new customers get
   the training late share). No fitting; what a collector would say.
2. ``logistic_regression`` — L2-regularised, on the same features: money columns log-scaled,
   missing values median-filled with a "was missing" indicator, everything standardised.
3. ``xgboost`` — the pipeline's recipe (ml/fitting.py ``fit_recipe``: shallow trees, rounds by early
   stopping on its own latest rows).

The training rows are split by issue date: the earlier ``1 − VALIDATION_SHARE`` fit, the latest
``VALIDATION_SHARE`` validate. Each candidate is fitted on the earlier part and scored on the
validation window; the champion has the best validation ROC-AUC, except that a candidate within
``TIE_AUC`` of the best and simpler wins (complexity must earn its keep). The recency-weighted
late share's half-life is chosen on the same window (the half-life whose share ranks the window
best; ties to the longest), and enters the two fitted candidates as a feature. The champion's
scores are then calibrated on the validation window (ml/calibration.py). Everything fitted is
plain numbers, so the champion can be stored as JSON and scored without pickles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ml.backtest.metrics import auc_or_none
from ml.calibration import Calibrator, expected_calibration_error, fit_calibrator, log_loss
from ml.fitting import fit_recipe, validation_slice
from ml.history import LATE_SHARE_HALF_LIVES, decayed_share_name

CANDIDATES = ("prior_late_rate", "logistic_regression", "xgboost")  # simplest first
VALIDATION_SHARE = 0.2
TIE_AUC = 0.005
MIN_VALIDATION_ROWS = 100
LOGISTIC_C = 0.5  # inverse L2 strength on standardised features


def latest_window(issue_dates: pd.Series, share: float = VALIDATION_SHARE) -> np.ndarray:
    """True for the latest ``share`` of rows by issue date (stable on ties), by position."""
    return np.asarray(validation_slice(pd.Series(pd.to_datetime(issue_dates).to_numpy()), share), dtype=bool)


@dataclass(frozen=True)
class LinearScorer:
    """A fitted logistic regression as numbers: log-scaled money columns, medians, indicators,
    standardisation and coefficients (scored with numpy; stored as JSON)."""

    feature_names: list[str]
    log_columns: list[str]
    medians: list[float]
    indicator_columns: list[str]
    means: list[float]
    scales: list[float]
    coef: list[float]
    intercept: float

    @staticmethod
    def _raw(frame: pd.DataFrame, names: Sequence[str], log_columns: Sequence[str]) -> pd.DataFrame:
        x = frame.loc[:, list(names)].astype("float64").copy()
        for column in log_columns:
            x[column] = np.sign(x[column]) * np.log1p(x[column].abs())
        return x

    def _design(self, frame: pd.DataFrame) -> np.ndarray:
        x = self._raw(frame, self.feature_names, self.log_columns)
        indicators = x.loc[:, self.indicator_columns].isna().astype("float64").to_numpy()
        filled = x.fillna(pd.Series(self.medians, index=self.feature_names)).fillna(0.0).to_numpy()
        design = np.hstack([filled, indicators])
        del x, filled, indicators
        # In place: the same numbers as (design - means) / scales without two more copies.
        design -= np.asarray(self.means)
        design /= np.asarray(self.scales)
        return design

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        z = self._design(frame) @ np.asarray(self.coef) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    @classmethod
    def fit(cls, frame: pd.DataFrame, labels: pd.Series, names: Sequence[str]) -> LinearScorer:
        from sklearn.linear_model import LogisticRegression

        names = list(names)
        log_columns = [n for n in names if "amount" in n and not n.startswith("log_")]
        x = cls._raw(frame, names, log_columns)
        medians = x.median().fillna(0.0)
        indicator_columns = [n for n in names if x[n].isna().any()]
        design = np.hstack(
            [x.fillna(medians).fillna(0.0).to_numpy(), x.loc[:, indicator_columns].isna().astype("float64").to_numpy()]
        )
        del x
        means, scales = design.mean(axis=0), design.std(axis=0)
        scales = np.where(scales > 0, scales, 1.0)
        model = LogisticRegression(C=LOGISTIC_C, max_iter=2000)
        design -= means  # in place: (design - means) / scales without two more copies
        design /= scales
        model.fit(design, labels.astype("int64").to_numpy())
        return cls(
            feature_names=names,
            log_columns=log_columns,
            medians=[float(v) for v in medians.to_numpy()],
            indicator_columns=indicator_columns,
            means=[float(v) for v in means],
            scales=[float(v) for v in scales],
            coef=[float(v) for v in model.coef_[0]],
            intercept=float(model.intercept_[0]),
        )

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Candidate:
    """One fitted candidate: ``kind`` in CANDIDATES, its features and its fitted state."""

    kind: str
    feature_names: list[str]
    model: Any  # LinearScorer | XGBClassifier | None (the rule)
    fill_rate: float  # the rule's probability for a customer without settled history

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        if self.kind == "prior_late_rate":
            return np.asarray(frame["cust_late_share"].astype("float64").fillna(self.fill_rate).to_numpy())
        if self.kind == "logistic_regression":
            return np.asarray(self.model.predict(frame))
        return np.asarray(self.model.predict_proba(frame.loc[:, self.feature_names])[:, 1])


def fit_candidate(kind: str, train: pd.DataFrame, issue_dates: pd.Series, names: Sequence[str]) -> Candidate:
    """Fit one candidate on ``train`` (features + ``late``)."""
    rate = float(train["late"].mean()) if len(train) else 0.5
    if kind == "prior_late_rate":
        return Candidate(kind, ["cust_late_share"], None, rate)
    if kind == "logistic_regression":
        return Candidate(kind, list(names), LinearScorer.fit(train, train["late"], names), rate)
    fitted = fit_recipe(train.loc[:, [*names, "late"]], issue_dates, names)
    return Candidate(kind, list(names), fitted.model, rate)


def choose_half_life(frame: pd.DataFrame, labels: np.ndarray, fill_rate: float) -> tuple[int, dict[str, Any]]:
    """The half-life whose recency-weighted late share ranks ``frame`` best (ties: the longest)."""
    aucs = {
        h: auc_or_none(labels, frame[decayed_share_name(h)].fillna(fill_rate).to_numpy()) for h in LATE_SHARE_HALF_LIVES
    }
    best = max(LATE_SHARE_HALF_LIVES, key=lambda h: ((aucs[h] or 0.0), h))
    return best, {str(h): aucs[h] for h in LATE_SHARE_HALF_LIVES}


@dataclass
class Selection:
    """The champion, the candidates (fitted on the earlier part of training), how it was chosen."""

    champion: str
    candidates: dict[str, Candidate]
    calibrator: Calibrator
    half_life_days: int | None
    feature_names: list[str]
    validation: dict[str, Any]  # per candidate: n, auc, logloss, brier, ece; window dates; half-life aucs
    reason: str
    extra: dict[str, Any] = field(default_factory=dict)

    def predict_raw(self, frame: pd.DataFrame, kind: str | None = None) -> np.ndarray:
        return self.candidates[kind or self.champion].predict(frame)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """The champion's calibrated probability of "late"."""
        return self.calibrator.apply(self.predict_raw(frame))


def _scores(labels: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import brier_score_loss

    return {
        "n": len(labels),
        "auc": auc_or_none(labels, p),
        "logloss": round(log_loss(labels, p), 4),
        "brier": round(float(brier_score_loss(labels, np.clip(p, 0, 1))), 4),
        "ece": expected_calibration_error(labels, p),
    }


def pick_champion(aucs: dict[str, float | None], tie: float = TIE_AUC) -> tuple[str, str]:
    """The simplest candidate within ``tie`` of the best validation AUC, and why (a sentence)."""
    known = {k: v for k, v in aucs.items() if v is not None}
    if not known:
        return "prior_late_rate", "the validation window holds one outcome only: the simplest candidate is kept"
    best_kind = max(known, key=lambda k: known[k])
    best = known[best_kind]
    for kind in CANDIDATES:
        if kind in known and known[kind] >= best - tie:
            if kind == best_kind:
                return (
                    kind,
                    f"{kind} ranks the validation window best (AUC {best:.3f}); no simpler candidate within {tie}",
                )
            return (
                kind,
                f"{kind} (AUC {known[kind]:.3f}) is within {tie} of the best, {best_kind} ({best:.3f}), and simpler",
            )
    raise AssertionError("unreachable")


def select_model(train: pd.DataFrame, issue_dates: pd.Series, base_names: Sequence[str]) -> Selection:
    """Fit the candidates on the earlier training rows, choose and calibrate on the latest ones.

    ``train``: feature rows (base_names, the decayed late shares, cust_late_share) with ``late``;
    ``issue_dates`` aligned with it. With fewer than MIN_VALIDATION_ROWS validation rows (or one
    outcome in either part) the candidates are fitted on everything and the rule is kept.
    """
    dates = pd.Series(pd.to_datetime(issue_dates).to_numpy(), index=train.index)
    held_out = latest_window(dates)
    fit_rows, val_rows = train[~held_out], train[held_out]
    y_val = val_rows["late"].astype("int64").to_numpy()
    rate = float(fit_rows["late"].mean()) if len(fit_rows) else float(train["late"].mean())
    usable = held_out.sum() >= MIN_VALIDATION_ROWS and fit_rows["late"].nunique() == 2 and len(set(y_val)) == 2
    if not usable:
        names = [*base_names]
        candidates = {k: fit_candidate(k, train, dates, names) for k in CANDIDATES}
        return Selection(
            "prior_late_rate",
            candidates,
            Calibrator("none", choice={"reason": "no validation window"}),
            None,
            names,
            {"n": int(held_out.sum())},
            f"fewer than {MIN_VALIDATION_ROWS} validation rows or one outcome: the rule is kept",
        )
    half_life, half_life_aucs = choose_half_life(val_rows, y_val, rate)
    names = [*base_names, decayed_share_name(half_life)]
    candidates = {k: fit_candidate(k, fit_rows, dates[~held_out], names) for k in CANDIDATES}
    raw = {k: c.predict(val_rows) for k, c in candidates.items()}
    per_candidate = {k: _scores(y_val, p) for k, p in raw.items()}
    champion, reason = pick_champion({k: v["auc"] for k, v in per_candidate.items()})
    calibrator = fit_calibrator(y_val, raw[champion], order=dates[held_out].to_numpy())
    window = dates[held_out]
    validation = {
        "n_fit": int((~held_out).sum()),
        "n": int(held_out.sum()),
        "first_issue_date": str(window.min().date()),
        "last_issue_date": str(window.max().date()),
        "late_share": round(float(y_val.mean()), 4),
        "late_share_fit": round(rate, 4),
        "candidates": per_candidate,
        "half_life_aucs": half_life_aucs,
        "champion_calibrated_in_sample": _scores(y_val, calibrator.apply(raw[champion])),
    }
    return Selection(champion, candidates, calibrator, half_life, names, validation, reason)
