"""What a backtest may learn from: outcome columns refused, post-issuance fields only as known."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cartera.errors import BadInputError
from ml.backtest.inputs import LeakageError, prepare_input
from tests.unit.ml.ml_frames import behaviour_history


def _canonical() -> pd.DataFrame:
    """The ml test history in the canonical shape of an export (amount_mxn, paid_date)."""
    history = behaviour_history(customers=6, start=dt.date(2024, 7, 1))
    return history.rename(columns={"total_amount_mxn": "amount_mxn", "settled_date": "paid_date"})


def _days(frame: pd.DataFrame, start: str, end: str) -> pd.Series:
    return (pd.to_datetime(frame[end]) - pd.to_datetime(frame[start])).dt.days


@pytest.mark.parametrize("column", ["paid_date", "days_to_settle", "days_late", "status", "open_amount"])
def test_a_column_named_for_the_outcome_is_refused_as_a_feature(column: str) -> None:
    frame = _canonical()
    frame["days_to_settle"] = _days(frame, "issue_date", "paid_date")
    frame["days_late"] = _days(frame, "due_date", "paid_date").clip(lower=0)
    frame["status"] = frame["paid_date"].map(lambda d: "open" if d is None else "paid")
    frame["open_amount"] = frame["amount_mxn"].where(frame["paid_date"].isna(), 0.0)
    with pytest.raises(LeakageError, match="function of the outcome") as refused:
        prepare_input(frame, include=[column])
    assert refused.value.field == column
    # Not asked for: never a feature, and the warning says why.
    data = prepare_input(frame)
    assert data.extra_feature_names == ()
    if column != "paid_date":  # the outcome itself, not a candidate feature
        assert any(column in w and "outcome" in w for w in data.warnings)


def test_a_column_that_reproduces_the_outcome_is_refused_whatever_its_name() -> None:
    frame = _canonical()
    frame["collector_score"] = _days(frame, "due_date", "paid_date")  # days late under another name
    with pytest.raises(LeakageError, match="days late"):
        prepare_input(frame, include=["collector_score"])
    assert "collector_score" not in prepare_input(frame).extra_feature_names


def test_a_post_issuance_field_without_its_date_is_left_out_with_a_reason_unless_asked_for() -> None:
    frame = _canonical()
    frame["disputed"] = [k % 7 == 0 for k in range(len(frame))]
    data = prepare_input(frame)
    assert data.extra_feature_names == ()
    assert [f.use for f in data.post_issuance] == ["left_out"]
    assert any("'disputed' is left out" in w and "does not say when it became known" in w for w in data.warnings)

    asked = prepare_input(frame, include=["disputed"])
    assert asked.extra_feature_names == ("disputed",)
    assert [f.use for f in asked.post_issuance] == ["as_is"]
    assert any("without the date it became known" in w for w in asked.warnings)


def test_a_dated_post_issuance_flag_is_used_only_from_the_day_it_became_known() -> None:
    frame = _canonical()
    first, second = frame.index[frame["customer_id"] == "C01"][:2]
    frame["disputed"] = False
    frame["dispute_opened_date"] = None
    frame.loc[first, "disputed"] = True
    opened = pd.Timestamp(frame.loc[first, "issue_date"]) + pd.Timedelta(days=20)
    frame.loc[first, "dispute_opened_date"] = opened.date()
    data = prepare_input(frame)
    assert [(f.name, f.use, f.known_date_column) for f in data.post_issuance] == [
        ("disputed", "point_in_time", "dispute_opened_date")
    ]
    extras = data.extra_features
    own = extras.loc[frame.loc[first, "invoice_id"]]
    assert own["disputed_at_issue"] == 0.0  # opened after its own issue date: unknown then
    customer = frame[frame["customer_id"] == "C01"].set_index("invoice_id")
    prior = extras.loc[customer.index, "cust_prior_disputed"]
    known_then = pd.to_datetime(customer["issue_date"]) >= opened
    assert (prior[known_then] == 1.0).all() and (prior[~known_then] == 0.0).all()
    assert frame.loc[second, "invoice_id"] in extras.index
    assert data.warnings == ()


def test_a_frame_without_an_outcome_column_is_refused_with_what_to_add() -> None:
    with pytest.raises(BadInputError, match="settled_date"):
        prepare_input(_canonical().drop(columns="paid_date"))
