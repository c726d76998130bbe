"""marts.fct_ar_aging_daily (the aging of the open book on every day, built from the open-balance
spans' changes) on the hand-checked book of raw_book.sql as of 2026-11-24: it equals the plain
definition (every span expanded to every day it is open, bucketed by that day's days past due),
ties to fct_open_items on the as-of day and to the KPI mart's open balance on every KPI day."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.integration
Rows = Callable[..., list[dict[str, Any]]]

# The definition, written the slow way: one row per span per day it covers.
EXPANDED = """
    select d::date as aging_date, p.currency,
           case when d::date - p.due_date <= 0 then 'current'
                when d::date - p.due_date <= 30 then '1-30'
                when d::date - p.due_date <= 60 then '31-60'
                when d::date - p.due_date <= 90 then '61-90'
                else '91+' end as aging_bucket,
           count(*)::integer as open_items, sum(p.open_amount) as open_amount, sum(p.open_amount_mxn) as open_amount_mxn
    from intermediate.int_invoice_open_balance_periods_as_of p
    cross join lateral generate_series(p.valid_from, p.valid_to, interval '1 day') as d
    group by 1, 2, 3
"""
MART = (
    "select aging_date, currency, aging_bucket, open_items, open_amount, open_amount_mxn from marts.fct_ar_aging_daily"
)


def test_the_aging_mart_equals_every_span_expanded_to_every_day(book_rows: Rows) -> None:
    expanded = book_rows(f"select count(*) as n from ({EXPANDED}) e")[0]["n"]
    only_expanded = book_rows(f"select * from ({EXPANDED} except all {MART}) e")
    only_mart = book_rows(f"select * from ({MART} except all {EXPANDED}) m")

    assert expanded > 100  # the book has months of open invoices in several buckets
    assert only_expanded == [] and only_mart == []


def test_the_aging_mart_covers_every_bucket_and_both_currencies(book_rows: Rows) -> None:
    seen = book_rows("select distinct currency, aging_bucket from marts.fct_ar_aging_daily")

    assert {r["currency"] for r in seen} == {"MXN", "USD"}
    assert {r["aging_bucket"] for r in seen} == {"current", "1-30", "31-60", "61-90", "91+"}


def test_the_aging_on_the_as_of_day_is_the_open_items_by_bucket(book_rows: Rows) -> None:
    open_items = book_rows(
        "select currency, aging_bucket, count(*)::integer as open_items, sum(open_amount) as open_amount, "
        "sum(open_amount_mxn) as open_amount_mxn from marts.fct_open_items group by 1, 2 order by 1, 2"
    )
    aging = book_rows(
        "select currency, aging_bucket, open_items, open_amount, open_amount_mxn from marts.fct_ar_aging_daily "
        "where aging_date = (select max(as_of_date) from marts.fct_open_items) order by 1, 2"
    )

    assert open_items and aging == open_items


def test_the_aging_adds_up_to_the_kpi_marts_open_balance_on_every_kpi_day(book_rows: Rows) -> None:
    differing = book_rows(
        """
        select k.kpi_date, k.open_mxn_at_issue_rate, coalesce(a.open_mxn, 0) as aging_open_mxn
        from marts.fct_ar_kpi_daily k
        left join (select aging_date, sum(open_amount_mxn) as open_mxn from marts.fct_ar_aging_daily group by 1) a
          on a.aging_date = k.kpi_date
        where k.open_mxn_at_issue_rate <> coalesce(a.open_mxn, 0)
        """
    )
    days = book_rows("select count(*) as n from marts.fct_ar_kpi_daily")[0]["n"]

    assert days > 100
    assert differing == []
