"""The expected payment date rule."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from ml_frames import D

from ml.payment_date import PaymentDateRule, expected_payment_dates, fit_payment_date_rule


def _rows(due: list[dt.date], median_late: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"as_of_date": pd.Timestamp(D), "due_date": pd.to_datetime(due), "cust_median_days_late": median_late}
    )


def test_expected_date_is_the_due_date_plus_the_customers_median_lateness() -> None:
    rule = PaymentDateRule(fallback_days_late=4.0)
    rows = _rows([dt.date(2025, 7, 10), dt.date(2025, 7, 10), dt.date(2025, 7, 10)], [12.0, -3.0, float("nan")])
    assert expected_payment_dates(rows, rule) == [dt.date(2025, 7, 22), dt.date(2025, 7, 7), dt.date(2025, 7, 14)]


def test_an_invoice_open_past_its_usual_lateness_is_expected_a_week_after_the_score_date() -> None:
    rows = _rows([dt.date(2025, 5, 1)], [10.0])
    assert expected_payment_dates(rows, PaymentDateRule(fallback_days_late=0.0)) == [D + dt.timedelta(days=7)]


def test_the_fallback_is_the_median_lateness_and_round_trips_through_json() -> None:
    rule = fit_payment_date_rule(pd.Series([-2.0, 0.0, 5.0, 30.0, float("nan")]))
    assert rule.fallback_days_late == 2.5
    assert PaymentDateRule.from_json(rule.to_json()) == rule
