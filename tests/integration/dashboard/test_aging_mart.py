"""The dashboard's aging chart read from the daily aging mart (marts.fct_ar_aging_daily) shows the
figures the open-balance spans gave before, to the cent, for any range and currency; the page
reads the mart for the whole book, the spans under a customer filter or without the mart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import psycopg
import pytest
from dashboard_book import AS_OF

from cartera.dashboard import finance
from cartera.dashboard.tables import Filters

pytestmark = pytest.mark.integration

RANGES = [
    Filters(),  # the default: 13 months ending on the last day with data
    Filters(currency="MXN"),
    Filters(currency="USD"),
    Filters(currency="EUR"),  # no such invoices: the latest-day fallback, empty
    Filters(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 8, 19)),  # weeks ending on a Wednesday
    Filters(date_from=dt.date(2026, 10, 1), date_to=AS_OF - dt.timedelta(days=3), currency="USD"),
    Filters(date_from=dt.date(2026, 11, 1), date_to=dt.date(2027, 2, 1)),  # ends after the data
    Filters(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 6, 1)),  # before the first invoice
]


@pytest.fixture
def conn(book: str) -> Iterator[psycopg.Connection]:
    """A connection whose changes are rolled back (the book is shared by the module)."""
    with psycopg.connect(book) as connection:
        yield connection
        connection.rollback()


@pytest.mark.parametrize("f", RANGES, ids=lambda f: f"{f.date_from}..{f.date_to}:{f.currency}")
def test_the_mart_gives_the_aging_the_spans_gave(conn: psycopg.Connection, f: Filters) -> None:
    from_mart = finance.aging_history_from_mart(conn, f)
    from_spans = finance.aging_history_from_spans(conn, f)

    assert from_mart.key == from_spans.key == "aging_history"
    assert [c.key for c in from_mart.columns] == [c.key for c in from_spans.columns]
    assert from_mart.currency == from_spans.currency
    assert from_mart.rows == from_spans.rows


def test_the_default_range_has_a_year_of_weeks_with_every_bucket(conn: psycopg.Connection) -> None:
    rows = finance.aging_history_from_mart(conn, Filters()).rows

    assert len(rows) >= 40 and rows[-1]["day"] == AS_OF
    assert all(any(r[b] is not None for r in rows) for b in finance.BUCKETS)


def test_the_page_reads_the_mart_for_the_whole_book(conn: psycopg.Connection) -> None:
    # A cent added in the mart on the last day shows on the page: the page read the mart.
    before = finance.aging_history(conn, Filters()).rows[-1]
    conn.execute(
        "update marts.fct_ar_aging_daily set open_amount_mxn = open_amount_mxn + 0.01 "
        "where aging_date = %s and aging_bucket = 'current'",
        (AS_OF,),
    )
    after = finance.aging_history(conn, Filters()).rows[-1]

    assert after["current"] > before["current"]


def test_a_customer_filter_reads_the_spans(conn: psycopg.Connection) -> None:
    whole, us = Filters(), Filters(country="US")
    whole_before, us_before = finance.aging_history(conn, whole).rows, finance.aging_history(conn, us).rows
    conn.execute("update marts.fct_ar_aging_daily set open_amount_mxn = open_amount_mxn + 1000")

    assert us_before and finance.aging_history(conn, us).rows == us_before
    assert finance.aging_history(conn, whole).rows != whole_before


def test_without_the_mart_the_page_reads_the_spans(conn: psycopg.Connection) -> None:
    with_mart = finance.aging_history(conn, Filters()).rows
    conn.execute("alter table marts.fct_ar_aging_daily rename to fct_ar_aging_daily_gone")

    assert finance.aging_history(conn, Filters()).rows == with_mart
