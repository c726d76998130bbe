"""Days to pay: a gradient-boosted regressor with split-conformal intervals.

Target: days late (settled − due; negative when early), predicted for each invoice from what was
known at its issue date; the expected payment date is ``due + round(prediction)``.

Why L1 (``reg:absoluteerror``, the conditional median) and not squared error or a survival model:
the figure a treasurer reads is the error in days (MAE), which the median minimises; payment
delays have a long right tail (a few invoices paid months late) that would drag a mean-based fit
toward dates almost nobody pays on; and the median of a customer's lateness is what the rule
already used, so the regressor generalises it with the other features. A survival model would use
the open invoices too (the censored ones); it is the next step if the censoring bias shows.

Intervals, split-conformal on the validation window: the regressor is fitted on the earlier
training rows; the signed residuals (actual − predicted days) of the latest window's settled
invoices give the lower and upper offsets at ``alpha / 2`` and ``1 − alpha / 2`` (with the
finite-sample correction), so an interval ``[date + lower, date + upper]`` covers ``1 − alpha`` of
new invoices when the window is like the future. Coverage on the test window is reported, not
assumed: after a drift it can fall short, and the backtest says by how much.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ml.selection import latest_window

NOMINAL_COVERAGE = 0.8
MIN_CONFORMAL_ROWS = 40
PARAMS: dict[str, Any] = {
    "objective": "reg:absoluteerror",
    "n_estimators": 300,
    "max_depth": 3,
    "learning_rate": 0.05,
    "min_child_weight": 20,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "tree_method": "hist",
    "random_state": 20240601,
    "n_jobs": 2,
}
EXTRA_FEATURES = ("cust_median_days_late",)  # the rule's own input: the regressor generalises it


@dataclass(frozen=True)
class PaymentRegressor:
    """A fitted days-late regressor and its conformal offsets (days)."""

    feature_names: list[str]
    booster_json: bytes
    lower_days: float
    upper_days: float
    nominal_coverage: float
    calibration: dict[str, Any] = field(default_factory=dict)  # n, window dates

    @cached_property
    def _booster(self) -> Any:
        """The booster, loaded once per regressor (scoring predicts it chunk after chunk)."""
        import xgboost as xgb

        booster = xgb.Booster()
        booster.load_model(bytearray(self.booster_json))
        return booster

    def predict_days_late(self, frame: pd.DataFrame) -> np.ndarray:
        import xgboost as xgb

        if frame.empty:
            return np.zeros(0)
        matrix = xgb.DMatrix(frame.loc[:, self.feature_names].astype("float64"), feature_names=self.feature_names)
        return np.asarray(self._booster.predict(matrix), dtype="float64")

    def predict_dates(self, frame: pd.DataFrame) -> pd.DataFrame:
        """expected, lower, upper (datetime64) for feature rows with ``due_date``."""
        days = np.round(self.predict_days_late(frame))
        due = pd.to_datetime(frame["due_date"]).reset_index(drop=True)
        expected = due + pd.to_timedelta(days, unit="D")
        return pd.DataFrame(
            {
                "expected": expected,
                "lower": expected + pd.Timedelta(days=math.floor(self.lower_days)),
                "upper": expected + pd.Timedelta(days=math.ceil(self.upper_days)),
            }
        )

    def to_json(self) -> dict[str, Any]:
        """Everything but the booster (stored as bytes beside it)."""
        return {
            "kind": "xgboost_l1_days_late_split_conformal",
            "feature_names": self.feature_names,
            "lower_days": self.lower_days,
            "upper_days": self.upper_days,
            "nominal_coverage": self.nominal_coverage,
            "calibration": self.calibration,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], booster_json: bytes) -> PaymentRegressor:
        return cls(
            feature_names=list(data["feature_names"]),
            booster_json=booster_json,
            lower_days=float(data["lower_days"]),
            upper_days=float(data["upper_days"]),
            nominal_coverage=float(data["nominal_coverage"]),
            calibration=dict(data.get("calibration", {})),
        )


def conformal_offsets(residuals: np.ndarray, coverage: float = NOMINAL_COVERAGE) -> tuple[float, float]:
    """Lower and upper offsets (days) from signed residuals (actual − predicted), split-conformal:
    the ``ceil((n + 1)(1 − a/2)) / n`` empirical quantiles on each side, a = 1 − coverage."""
    r = np.sort(np.asarray(residuals, dtype="float64"))
    n = len(r)
    tail = (1 - coverage) / 2
    k_high = min(n, math.ceil((n + 1) * (1 - tail)))
    k_low = max(1, math.floor((n + 1) * tail))
    return float(r[k_low - 1]), float(r[k_high - 1])


def fit_payment_regressor(
    frame: pd.DataFrame, days_late: pd.Series, issue_dates: pd.Series, names: Sequence[str]
) -> PaymentRegressor | None:
    """Fit on settled invoices (``frame`` features, ``days_late`` target, aligned): regressor on the
    earlier rows, conformal offsets on the latest VALIDATION_SHARE. None when too few rows."""
    import xgboost as xgb

    feature_names = [*names, *(c for c in EXTRA_FEATURES if c not in names)]
    held_out = latest_window(pd.Series(pd.to_datetime(issue_dates).to_numpy()))
    if held_out.sum() < MIN_CONFORMAL_ROWS or (~held_out).sum() < MIN_CONFORMAL_ROWS:
        return None
    x = frame.loc[:, feature_names].astype("float64").reset_index(drop=True)
    y = pd.Series(days_late).astype("float64").reset_index(drop=True)
    model = xgb.XGBRegressor(**PARAMS).fit(x[~held_out], y[~held_out])
    residuals = y[held_out].to_numpy() - model.predict(x[held_out])
    lower, upper = conformal_offsets(np.round(residuals))
    window = pd.to_datetime(pd.Series(issue_dates).to_numpy()[held_out])
    return PaymentRegressor(
        feature_names=feature_names,
        booster_json=bytes(model.get_booster().save_raw("json")),
        lower_days=lower,
        upper_days=upper,
        nominal_coverage=NOMINAL_COVERAGE,
        calibration={
            "n_fit": int((~held_out).sum()),
            "n": int(held_out.sum()),
            "first_issue_date": str(window.min().date()),
            "last_issue_date": str(window.max().date()),
        },
    )


def date_figures(predicted: pd.Series, actual: pd.Series, within_days: int = 7) -> dict[str, Any]:
    """MAE, median absolute error and the share within ±``within_days`` over rows with both dates."""
    known = actual.notna() & predicted.notna()
    errors = (pd.to_datetime(predicted[known]) - pd.to_datetime(actual[known])).dt.days.abs().astype("float64")
    n = int(known.sum())
    return {
        "n": n,
        "mae_days": round(float(errors.mean()), 2) if n else None,
        "median_abs_error_days": round(float(errors.median()), 2) if n else None,
        f"share_within_{within_days}_days": round(float((errors <= within_days).mean()), 4) if n else None,
    }


def interval_coverage(lower: pd.Series, upper: pd.Series, actual: pd.Series) -> dict[str, Any]:
    """Share of rows with a known actual date inside [lower, upper], and the mean width in days."""
    known = actual.notna() & lower.notna() & upper.notna()
    inside = (actual[known] >= lower[known]) & (actual[known] <= upper[known])
    width = (upper[known] - lower[known]).dt.days.astype("float64")
    n = int(known.sum())
    return {
        "n": n,
        "coverage": round(float(inside.mean()), 4) if n else None,
        "mean_width_days": round(float(width.mean()), 1) if n else None,
    }
