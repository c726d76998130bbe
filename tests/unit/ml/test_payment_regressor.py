"""Days to pay: split-conformal intervals cover about their nominal share of a held-out window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.payment_regressor import NOMINAL_COVERAGE, conformal_offsets, fit_payment_regressor, interval_coverage


def test_conformal_offsets_are_the_corrected_quantiles_of_the_signed_residuals() -> None:
    residuals = np.arange(-10, 10)  # 20 residuals, -10..9
    low, high = conformal_offsets(residuals, coverage=0.8)
    # ceil(21 × 0.9) = 19th smallest is 8; floor(21 × 0.1) = 2nd smallest is -9.
    assert (low, high) == (-9.0, 8.0)


def _invoices(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, pd.Series]:
    habit = rng.normal(3, 6, n)
    frame = pd.DataFrame(
        {
            "cust_median_days_late": habit,
            "credit_terms_days": rng.choice([15.0, 30.0, 60.0], n),
            "due_date": pd.Timestamp("2025-03-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D"),
        }
    )
    days_late = pd.Series(np.round(habit + rng.laplace(0, 4, n)))
    return frame, days_late


def test_interval_coverage_is_near_nominal_on_a_held_out_window() -> None:
    rng = np.random.default_rng(5)
    frame, days_late = _invoices(rng, 3000)
    issued = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(3000) // 8, unit="D"))
    regressor = fit_payment_regressor(frame, days_late, issued, ["credit_terms_days"])
    assert regressor is not None

    later, later_days = _invoices(rng, 4000)
    dates = regressor.predict_dates(later)
    actual = later["due_date"] + pd.to_timedelta(later_days, unit="D")
    figures = interval_coverage(dates["lower"], dates["upper"], actual)
    assert figures["coverage"] == pytest.approx(NOMINAL_COVERAGE, abs=0.04)
    mae = (dates["expected"] - actual).dt.days.abs().mean()
    assert mae < (later["due_date"] - actual).dt.days.abs().mean()  # better than the due date


def test_too_few_settled_invoices_give_no_regressor() -> None:
    frame, days_late = _invoices(np.random.default_rng(1), 60)
    issued = pd.Series(pd.date_range("2025-01-01", periods=60))
    assert fit_payment_regressor(frame, days_late, issued, ["credit_terms_days"]) is None
