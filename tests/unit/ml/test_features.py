"""Point-in-time features: what is known at D, and nothing after it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from ml_frames import D, frame, invoice, monthly_history

from cartera.errors import BadInputError
from ml.features import MODEL_FEATURES, build_features, customer_features


def _history() -> pd.DataFrame:
    rows = monthly_history("C1", [5, -2, 0, 12, -1, 30, 3, -3]) + monthly_history(
        "C2", [0, 0, None], start=dt.date(2025, 3, 1)
    )
    rows.append(invoice("C1-open", "C1", dt.date(2025, 6, 1)))  # settled on Jul 1, after D
    rows.append(invoice("C1-late-open", "C1", dt.date(2025, 4, 1), settled_after_due=None))
    return frame(rows)


def _allocations() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"invoice_id": "C1-late-open", "allocation_date": dt.date(2025, 6, 10), "amount_mxn": 400.0},
            {"invoice_id": "C1-late-open", "allocation_date": dt.date(2025, 7, 10), "amount_mxn": 600.0},  # after D
        ]
    )


def test_features_for_d_do_not_change_when_rows_dated_after_d_are_added() -> None:
    before = build_features(_history(), D, allocations=_allocations())
    after_d = _history()
    # Settlements after D of invoices open at D …
    after_d.loc[after_d["invoice_id"] == "C1-late-open", "settled_date"] = dt.date(2025, 7, 20)
    after_d.loc[after_d["invoice_id"] == "C2-02", "settled_date"] = D + dt.timedelta(days=1)
    # … new invoices issued after D, one of them already settled, for old and new customers.
    after_d = pd.concat(
        [
            after_d,
            frame(
                [
                    invoice("C1-future", "C1", D + dt.timedelta(days=1), terms=0, settled_after_due=2),
                    invoice("C3-future", "C3", D + dt.timedelta(days=5), settled_after_due=None),
                ]
            ),
        ],
        ignore_index=True,
    )
    allocations = pd.concat(
        [
            _allocations(),
            pd.DataFrame(
                [
                    {"invoice_id": "C1-future", "allocation_date": D + dt.timedelta(days=3), "amount_mxn": 1000.0},
                ]
            ),
        ],
        ignore_index=True,
    )

    pd.testing.assert_frame_equal(build_features(after_d, D, allocations=allocations), before)
    pd.testing.assert_frame_equal(
        customer_features(after_d, D, allocations), customer_features(_history(), D, _allocations())
    )


def test_an_invoice_settled_after_d_is_open_at_d_and_not_in_the_history() -> None:
    features = build_features(_history(), D).set_index("invoice_id")
    assert "C1-open" in features.index and "C1-late-open" in features.index
    row = features.loc["C1-late-open"]
    # Eight settled invoices of C1 by D, but not C1-open (settled Jul 1): it counts as another open one.
    assert row["cust_n_settled"] == 8
    assert row["cust_n_open"] == 1 and row["cust_n_overdue"] == 0
    assert features.loc["C1-open", "cust_n_overdue"] == 1  # C1-late-open, due May 1


def test_customer_history_figures_are_computed_from_settled_invoices_only() -> None:
    row = build_features(_history(), D).set_index("invoice_id").loc["C1-open"]
    lateness = [5, -2, 0, 12, -1, 30, 3, -3]
    assert row["cust_late_share"] == pytest.approx(4 / 8)
    assert row["cust_mean_days_late"] == pytest.approx(sum(lateness) / 8)
    assert row["cust_max_days_late"] == 30
    recent, older = lateness[-5:], lateness[:-5]
    assert row["cust_last5_mean_days_late"] == pytest.approx(sum(recent) / 5)
    assert row["cust_trend_days_late"] == pytest.approx(sum(recent) / 5 - sum(older) / 3)
    assert row["cust_tenure_days"] == (D - dt.date(2024, 1, 5)).days
    last_settled = dt.date(2024, 1, 5) + dt.timedelta(days=30 * 7 + 30 - 3)
    assert row["cust_days_since_last_payment"] == (D - last_settled).days


def test_invoice_features_and_the_open_amount_use_allocations_known_at_d() -> None:
    rows = build_features(_history(), D, allocations=_allocations()).set_index("invoice_id")
    late_open = rows.loc["C1-late-open"]
    assert late_open["open_amount_mxn"] == 600.0  # 1000 − the June allocation; July's is unknown
    assert late_open["days_past_due"] == (D - dt.date(2025, 5, 1)).days
    assert late_open["credit_terms_days"] == 30 and late_open["issue_month"] == 4 and late_open["is_usd"] == 0
    assert rows.loc["C1-open", "cust_open_amount_mxn"] == 600.0
    assert rows.loc["C1-open", "cust_days_since_last_payment"] == (D - dt.date(2025, 6, 10)).days


def test_a_customer_without_settled_history_gets_zero_counts_and_unknown_lateness() -> None:
    rows = frame([invoice("N-1", "N", dt.date(2025, 6, 20), settled_after_due=None)])
    row = build_features(rows, D).iloc[0]
    assert row["cust_n_settled"] == 0 and row["cust_n_open"] == 0
    assert pd.isna(row["cust_late_share"]) and pd.isna(row["cust_days_since_last_payment"])
    assert row["cust_tenure_days"] == 10


def test_issued_on_builds_the_rows_of_the_invoices_issued_that_day() -> None:
    day = dt.date(2025, 4, 1)
    rows = build_features(_history(), day, for_invoices="issued_on")
    assert list(rows["invoice_id"]) == ["C1-late-open"]
    assert list(rows.columns[5 : 5 + len(MODEL_FEATURES)]) == list(MODEL_FEATURES)


def test_a_history_without_a_contract_column_is_refused_by_name() -> None:
    with pytest.raises(BadInputError, match="settled_date"):
        build_features(_history().drop(columns="settled_date"), D)
