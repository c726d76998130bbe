"""The quality gate on small frames: which rows it rejects, why, and when it fails as a whole."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from cartera.raw_contract import raw_columns
from expectations.gate import REJECTED_COLUMNS, run_gate

UPPER = dt.datetime(2025, 6, 30, 6, 30, tzinfo=dt.UTC)
LENIENT = 1.0  # threshold that never trips, to look at row-level rejects alone


def invoices(count: int, **changes: dict[str, Any]) -> pd.DataFrame:
    """`count` valid invoices; `changes` maps a 1-based row number ("row3") to the fields to change."""
    rows = []
    for n in range(1, count + 1):
        row: dict[str, Any] = dict.fromkeys(raw_columns("invoices"))
        row.update(
            invoice_id=str(n),
            invoice_number=f"INV/{n:05d}",
            customer_id="7",
            issue_date=dt.date(2025, 5, 1),
            due_date=dt.date(2025, 5, 31),
            currency="MXN",
            subtotal=Decimal("100.00"),
            tax=Decimal("16.00"),
            total=Decimal("116.00"),
            status="posted",
            updated_at=dt.datetime(2025, 5, 1, tzinfo=dt.UTC),
        )
        row.update(changes.get(f"row{n}", {}))
        rows.append(row)
    return pd.DataFrame(rows, columns=list(raw_columns("invoices")), dtype=object)


def rejected_rules(frame: pd.DataFrame) -> dict[int, set[str]]:
    return {int(n): set(group["rule"]) for n, group in frame.groupby("row_number")}


def test_valid_rows_all_pass_and_come_back_unchanged() -> None:
    batch = invoices(5)
    result = run_gate("invoices", batch, upper_bound=UPPER)
    assert result.passed
    assert result.rejected.empty and list(result.rejected.columns) == list(REJECTED_COLUMNS)
    pd.testing.assert_frame_equal(result.good, batch)


def test_a_missing_key_is_rejected_with_a_reason_naming_the_field() -> None:
    result = run_gate("invoices", invoices(3, row2={"invoice_id": None}), upper_bound=UPPER, max_rejected_share=LENIENT)
    rejected = result.rejected.iloc[0]
    assert (rejected.row_number, rejected.rule, rejected.record_key) == (2, "invoice_id_not_null", None)
    assert "invoice_id" in rejected.reason and "missing" in rejected.reason
    assert list(result.good["invoice_id"]) == ["1", "3"]


def test_a_negative_amount_is_rejected_and_the_key_recorded() -> None:
    result = run_gate(
        "invoices", invoices(3, row3={"total": Decimal("-5.00")}), upper_bound=UPPER, max_rejected_share=LENIENT
    )
    assert rejected_rules(result.rejected) == {3: {"total_non_negative"}}
    assert result.rejected.iloc[0].record_key == "3"
    assert "total" in result.rejected.iloc[0].reason


def test_an_unknown_currency_is_rejected() -> None:
    result = run_gate("invoices", invoices(3, row1={"currency": "MXP"}), upper_bound=UPPER, max_rejected_share=LENIENT)
    assert rejected_rules(result.rejected) == {1: {"currency_known"}}
    assert "currency" in result.rejected.iloc[0].reason


def test_a_due_date_before_the_issue_date_is_rejected() -> None:
    result = run_gate(
        "invoices", invoices(3, row2={"due_date": dt.date(2025, 4, 1)}), upper_bound=UPPER, max_rejected_share=LENIENT
    )
    assert rejected_rules(result.rejected) == {2: {"due_date_not_before_issue_date"}}


@pytest.mark.parametrize(
    "issue_date", [dt.date(1999, 12, 31), dt.date(2025, 7, 1)], ids=["before-2000", "after-upper-bound"]
)
def test_an_issue_date_outside_2000_to_the_upper_bound_is_rejected(issue_date: dt.date) -> None:
    changes = {"issue_date": issue_date, "due_date": issue_date}
    result = run_gate("invoices", invoices(3, row1=changes), upper_bound=UPPER, max_rejected_share=LENIENT)
    assert rejected_rules(result.rejected) == {1: {"issue_date_sane"}}


def test_the_gate_has_no_date_of_its_own_and_needs_the_callers() -> None:
    with pytest.raises(TypeError, match="upper_bound"):
        run_gate("invoices", invoices(3))  # type: ignore[call-arg]


def test_a_document_is_judged_against_the_callers_day_not_the_clocks() -> None:
    # Re-running a load of 2020-01-10: an invoice issued on 2020-01-20 was in the future then,
    # whatever the clock says now; and one issued in 2031 passes a load dated 2031.
    past = run_gate(
        "invoices",
        invoices(
            2,
            row1={"issue_date": dt.date(2020, 1, 5), "due_date": dt.date(2020, 2, 4)},
            row2={"issue_date": dt.date(2020, 1, 20), "due_date": dt.date(2020, 2, 19)},
        ),
        upper_bound=dt.date(2020, 1, 10),
        max_rejected_share=LENIENT,
    )
    assert rejected_rules(past.rejected) == {2: {"issue_date_sane"}}
    future = run_gate(
        "invoices",
        invoices(1, row1={"issue_date": dt.date(2031, 3, 1), "due_date": dt.date(2031, 3, 31)}),
        upper_bound=dt.datetime(2031, 3, 2, 6, tzinfo=dt.UTC),
    )
    assert future.passed and future.rejected.empty


def test_duplicate_keys_reject_every_copy() -> None:
    result = run_gate("invoices", invoices(4, row4={"invoice_id": "1"}), upper_bound=UPPER, max_rejected_share=LENIENT)
    assert rejected_rules(result.rejected) == {1: {"invoice_id_unique"}, 4: {"invoice_id_unique"}}


def test_a_row_failing_two_rules_counts_once_and_is_listed_under_both() -> None:
    batch = invoices(3, row2={"total": Decimal("-1"), "currency": "???"})
    result = run_gate("invoices", batch, upper_bound=UPPER, max_rejected_share=LENIENT)
    assert rejected_rules(result.rejected) == {2: {"total_non_negative", "currency_known"}}
    assert result.rejected_row_count == 1 and len(result.good) == 2


def test_customer_credit_terms_outside_the_sane_range_are_rejected() -> None:
    rows = [
        dict.fromkeys(raw_columns("customers")) | {"customer_id": str(n), "credit_terms_days": days}
        for n, days in enumerate((30, 400, -1))
    ]
    batch = pd.DataFrame(rows, columns=list(raw_columns("customers")), dtype=object)
    result = run_gate("customers", batch, upper_bound=UPPER, max_rejected_share=LENIENT)
    assert rejected_rules(result.rejected) == {2: {"credit_terms_days_in_range"}, 3: {"credit_terms_days_in_range"}}


def test_the_gate_fails_when_the_rejected_share_exceeds_the_threshold() -> None:
    # 1 bad row in 10 is 10% > the default 5%: the gate fails, the rows are still split.
    result = run_gate("invoices", invoices(10, row5={"total": Decimal("-1")}), upper_bound=UPPER)
    assert not result.passed
    assert result.failures == {"total_non_negative": 1, "rejected_share_above_5%": 1}
    assert len(result.good) == 9


def test_the_gate_passes_at_the_threshold_and_with_a_configured_one() -> None:
    at_threshold = run_gate("invoices", invoices(20, row5={"total": Decimal("-1")}), upper_bound=UPPER)  # 5%
    assert at_threshold.passed
    stricter = run_gate(
        "invoices", invoices(20, row5={"total": Decimal("-1")}), upper_bound=UPPER, max_rejected_share=0.01
    )
    assert not stricter.passed


def test_a_batch_without_a_contract_column_fails_the_gate() -> None:
    result = run_gate("invoices", invoices(3).drop(columns=["currency"]), upper_bound=UPPER, max_rejected_share=LENIENT)
    assert not result.passed
    assert result.failures["columns_match_contract"] == 3


def test_an_empty_batch_passes_without_validation() -> None:
    result = run_gate("invoices", invoices(0), upper_bound=UPPER)
    assert result.passed and result.good.empty and result.rejected.empty


def test_fx_rates_are_keyed_by_currency_and_date() -> None:
    rows = [
        {"rate_date": dt.date(2025, 5, 1), "currency": "USD", "rate_to_mxn": Decimal("17.1"), "updated_at": None},
        {"rate_date": dt.date(2025, 5, 1), "currency": "USD", "rate_to_mxn": Decimal("17.2"), "updated_at": None},
        {"rate_date": dt.date(2025, 5, 2), "currency": "USD", "rate_to_mxn": Decimal("1710"), "updated_at": None},
    ]
    result = run_gate("fx_rates", pd.DataFrame(rows, dtype=object), upper_bound=UPPER, max_rejected_share=LENIENT)
    assert rejected_rules(result.rejected) == {1: {"key_unique"}, 2: {"key_unique"}, 3: {"rate_to_mxn_in_range"}}
    assert set(result.rejected["record_key"]) == {"USD:2025-05-01", "USD:2025-05-02"}


def test_the_gate_never_fingerprints_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    # GX hashes a whole pandas batch for its batch markers (nothing reads them) unless told not
    # to; at a million rows that hashing was most of the ingest's time.
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the batch was hashed")

    monkeypatch.setattr(pd.util, "hash_pandas_object", refuse)
    result = run_gate("invoices", invoices(3), upper_bound=UPPER, max_rejected_share=LENIENT)
    assert result.passed and len(result.good) == 3
