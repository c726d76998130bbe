"""Segments from a customer's history as of the score date and its risk score."""

from __future__ import annotations

import pandas as pd
from ml_frames import D, frame, monthly_history

from ml.features import customer_features
from ml.segments import assign_segments


def _segments(histories: dict[str, list[int | None]], risk: dict[str, float | None]) -> dict[str, str]:
    rows = [row for customer, lateness in histories.items() for row in monthly_history(customer, lateness)]
    customers = customer_features(frame(rows), D).assign(
        risk_score=lambda f: f["customer_id"].map(risk).astype("float64")
    )
    result = assign_segments(customers)
    return dict(zip(result["customer_id"], result["segment"], strict=True))


def test_an_exemplary_payer_late_once_is_occasional_not_chronic() -> None:
    on_time = [-2, 0, -1, -3, 0, -1, -2, 0, -1, -2, 0, -1]
    segments = _segments(
        {"exemplary": on_time, "late-once": [*on_time[:-1], 25], "late-once-long-ago": [25, *on_time[1:]]},
        {"exemplary": 0.05, "late-once": 0.2, "late-once-long-ago": None},
    )
    assert segments == {"exemplary": "exemplary", "late-once": "occasional", "late-once-long-ago": "exemplary"}


def test_a_customer_late_on_most_invoices_is_chronic_whatever_its_latest_payments() -> None:
    segments = _segments({"chronic": [20, 35, 15, 40, 22, 18, 30, 12, -1, 0, 0]}, {"chronic": 0.3})
    assert segments == {"chronic": "chronic"}


def test_fewer_than_three_settled_invoices_is_new() -> None:
    assert _segments({"newcomer": [0, 30, None]}, {"newcomer": 0.9}) == {"newcomer": "new"}


def test_high_predicted_risk_or_repeated_recent_lateness_is_at_risk() -> None:
    segments = _segments(
        {"risky": [0, -1, 0, -2, 0, 0, -1, 0], "deteriorating": [0, -1, 0, -2, 0, -1, 0, -1, 0, 0, 10, 15, 20, 25]},
        {"risky": 0.7, "deteriorating": 0.3},
    )
    assert segments == {"risky": "at_risk", "deteriorating": "at_risk"}


def test_each_segment_comes_with_reasons_in_both_languages_and_no_identifier() -> None:
    customers = pd.DataFrame(
        [
            {
                "customer_id": "RFC-XAXX010101000",
                "cust_n_settled": 10.0,
                "cust_late_share": 0.7,
                "cust_late_last10": 7.0,
                "cust_n_last10": 10.0,
                "cust_trend_days_late": 3.0,
                "risk_score": 0.8,
            }
        ]
    )
    result = assign_segments(customers).iloc[0]
    assert result["segment"] == "chronic"
    assert result["reasons"] == [
        {
            "rule": "late_share",
            "es": "Pagó tarde 7 de sus 10 facturas liquidadas",
            "en": "Paid 7 of its 10 settled invoices late",
        }
    ]
