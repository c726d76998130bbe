"""The warehouse built by dbt from the hand-checked book in raw_book.sql, as of 2026-11-24."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

pytestmark = pytest.mark.integration

Rows = Callable[..., list[dict[str, Any]]]


def one(rows: Rows, sql_text: str, *params: Any) -> dict[str, Any]:
    found = rows(sql_text, params)
    assert len(found) == 1, found
    return found[0]


def test_a_partially_paid_invoice_keeps_the_unpaid_rest_open(book_rows: Rows) -> None:
    invoice = one(book_rows, "select * from marts.fct_invoices where invoice_id = %s", "I001")

    assert invoice["paid_amount"] == Decimal("5000.00")
    assert invoice["open_amount"] == Decimal("6600.00")
    assert invoice["is_settled"] is False
    assert invoice["settled_date"] is None


def test_an_invoice_settled_by_a_credit_note_and_a_payment_is_settled_on_the_completing_payment(
    book_rows: Rows,
) -> None:
    invoice = one(book_rows, "select * from marts.fct_invoices where invoice_id = %s", "I003")

    assert (invoice["paid_amount"], invoice["credited_amount"], invoice["open_amount"]) == (
        Decimal("5000.00"),
        Decimal("800.00"),
        Decimal("0.00"),
    )
    assert invoice["settled_date"] == dt.date(2026, 7, 10)
    assert (invoice["days_to_settle"], invoice["days_late"]) == (39, 9)


def test_the_latest_version_of_an_updated_row_wins(book_rows: Rows) -> None:
    invoice = one(book_rows, "select total_amount from marts.fct_invoices where invoice_id = %s", "I007")
    customer = one(book_rows, "select credit_terms_days from marts.dim_customers where customer_id = %s", "C001")

    assert invoice["total_amount"] == Decimal("3480.00")
    assert customer["credit_terms_days"] == 60


def test_a_usd_invoice_issued_on_a_sunday_converts_at_fridays_rate(book_rows: Rows) -> None:
    invoice = one(
        book_rows, "select total_amount, total_amount_mxn from marts.fct_invoices where invoice_id = %s", "I002"
    )

    assert invoice["total_amount"] == Decimal("1000.00")
    assert invoice["total_amount_mxn"] == Decimal("18500.00")


def test_a_usd_payment_converts_at_the_corrected_rate_of_its_day(book_rows: Rows) -> None:
    payment = one(book_rows, "select amount, amount_mxn from marts.fct_payments where payment_id = %s", "P005")

    assert payment["amount_mxn"] == Decimal("3720.00")  # 200 USD x 18.60, not the first 18.55


def test_cancelled_and_future_invoices_and_cancelled_payments_are_not_receivables(book_rows: Rows) -> None:
    invoice_ids = {row["invoice_id"] for row in book_rows("select invoice_id from marts.fct_invoices")}
    payment_ids = {row["payment_id"] for row in book_rows("select payment_id from marts.fct_payments")}
    allocation_ids = {
        row["allocation_id"] for row in book_rows("select allocation_id from marts.fct_payment_allocations")
    }

    assert invoice_ids == {"I001", "I002", "I003", "I004", "I005", "I007"}
    assert "P004" not in payment_ids
    assert allocation_ids == {"A001", "A003", "A005"}


def test_open_items_fall_in_their_aging_buckets(book_rows: Rows) -> None:
    items = {
        row["invoice_id"]: (row["days_past_due"], row["aging_bucket"], row["open_amount_mxn"])
        for row in book_rows("select * from marts.fct_open_items")
    }

    assert items == {
        "I001": (24, "1-30", Decimal("6600.00")),
        "I002": (-28, "current", Decimal("18500.00")),
        "I004": (102, "91+", Decimal("2320.00")),
        "I005": (40, "31-60", Decimal("5400.00")),  # 300 USD open at the issue-date rate 18.00
        "I007": (66, "61-90", Decimal("3480.00")),
    }


def test_only_a_dispute_open_on_the_as_of_date_flags_the_invoice(book_rows: Rows) -> None:
    flags = {row["invoice_id"]: row["is_disputed"] for row in book_rows("select * from marts.fct_open_items")}
    disputed = one(book_rows, "select dispute_opened_date from marts.fct_invoices where invoice_id = %s", "I004")

    assert flags == {"I001": False, "I002": False, "I004": True, "I005": False, "I007": False}
    assert disputed["dispute_opened_date"] == dt.date(2026, 9, 1)


def test_customers_get_the_time_zone_of_their_state(book_rows: Rows) -> None:
    zones = {
        row["customer_id"]: (row["state_code"], row["timezone"])
        for row in book_rows("select * from marts.dim_customers")
    }

    assert zones == {
        "C001": ("SON", "America/Hermosillo"),
        "C002": ("ROO", "America/Cancun"),  # sent as the abbreviation QR
        "C003": ("CMX", "America/Mexico_City"),
        "C004": ("CHH", "America/Chihuahua"),
    }


def test_the_primary_contact_is_the_first_by_id_with_a_bcp47_language(book_rows: Rows) -> None:
    contacts = {
        row["customer_id"]: (row["contact_name"], row["preferred_language"])
        for row in book_rows("select * from marts.dim_contacts")
    }

    assert contacts == {
        "C001": ("Lucía Romero", "es-MX"),  # contact "2" before "10"
        "C002": ("Ana Pech", "es-MX"),
        "C004": ("John Miller", "en-US"),
    }


def test_the_kpi_table_has_one_row_per_day_from_the_first_invoice_to_the_last_day_with_data(book_rows: Rows) -> None:
    span = one(
        book_rows,
        "select count(*) as days, min(kpi_date) as first, max(kpi_date) as last, max(data_through) as data_through"
        " from marts.fct_ar_kpi_daily",
    )

    # Built as of 2026-11-24; the last posting is P005's allocation on 2026-11-23.
    assert span == {
        "days": 176,
        "first": dt.date(2026, 6, 1),
        "last": dt.date(2026, 11, 23),
        "data_through": dt.date(2026, 11, 23),
    }


def test_the_last_kpi_day_adds_up_the_open_items_at_the_closing_rate(book_rows: Rows) -> None:
    kpi = one(book_rows, "select * from marts.fct_ar_kpi_daily where kpi_date = %s", dt.date(2026, 11, 23))

    # 6,600 + 1,000 USD x 18.60 + 2,320 + 300 USD x 18.60 + 3,480; everything but I002 is past due.
    # At the issue-date rates (18.50 and 18.00) the same book is 36,300.00.
    assert (kpi["total_ar_mxn"], kpi["overdue_ar_mxn"], kpi["open_invoices"]) == (
        Decimal("36580.00"),
        Decimal("17980.00"),
        5,
    )
    assert (kpi["open_mxn_at_issue_rate"], kpi["fx_revaluation_mxn"]) == (Decimal("36300.00"), Decimal("280.00"))
    assert kpi["pct_current"] == Decimal("50.85")
