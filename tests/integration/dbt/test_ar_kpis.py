"""The daily AR KPIs on a book small enough to compute by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from warehouse_builds import dbt_build, failures, load_raw_sql, query

pytestmark = pytest.mark.integration

# Built as of 2026-11-24, but the last posting is T1's issue on 2026-11-10: the KPI window ends on
# data_through = 2026-11-10 (an empty day is not a day of zero sales). At the end of 2026-11-10:
#   T1 issued 2026-11-10, 2,000, due 2026-12-10, open (current).
#   T2 issued 2026-10-05, 4,000, due 2026-11-04, 3,000 paid on 2026-10-30 -> 1,000 open, 6 days past due.
# Countback months (Oct 10, Nov 10] = 31 days, (Sep 10, Oct 10] = 30 days. AR 3,000: 2,000 of
#   sales absorbed (31 days), then 1,000 of 4,000: 30 x 1,000 / 4,000 = 7.5 days -> DSO 38.50.
# Simple, over the 90 days (Aug 12, Nov 10]: sales 6,000. DSO = 3,000 / 6,000 x 90 = 45.00; best
#   possible (current 2,000) = 30.00; average days delinquent = 45.00 - 30.00 = 15.00.
# Overdue invoices are 6 days past due on average (one invoice).
# CEI: AR at end of 2026-10-11 is 4,000; sales (Oct 11, Nov 10] 2,000; ending AR 3,000, current 2,000:
#   100 x (4,000 + 2,000 - 3,000) / (4,000 + 2,000 - 2,000) = 75.00.
TINY_BOOK = """
insert into raw.customers (load_id, source, customer_id, customer_name, state_code, credit_terms_days, updated_at)
values ('T', 'erp', 'C1', 'Cliente Uno', 'JAL', 30, '2026-01-01');
insert into raw.invoices (load_id, source, invoice_id, invoice_number, customer_id, issue_date, due_date,
    currency, subtotal, tax, total, status, updated_at) values
    ('T', 'erp', 'T1', 'F-1', 'C1', '2026-11-10', '2026-12-10', 'MXN', 1724.14, 275.86, 2000.00, 'posted', '2026-11-10'),
    ('T', 'erp', 'T2', 'F-2', 'C1', '2026-10-05', '2026-11-04', 'MXN', 3448.28, 551.72, 4000.00, 'posted', '2026-10-05');
insert into raw.payments (load_id, source, payment_id, customer_id, payment_date, currency, amount, status, updated_at)
values ('T', 'erp', 'P1', 'C1', '2026-10-30', 'MXN', 3000.00, 'posted', '2026-10-30');
insert into raw.payment_allocations (load_id, source, allocation_id, payment_id, invoice_id, amount, allocation_date, updated_at)
values ('T', 'erp', 'A1', 'P1', 'T2', 3000.00, '2026-10-30', '2026-10-30');
"""


def test_the_kpis_match_the_hand_computation_on_the_last_day_with_data(fresh_db: str, tmp_path: Path) -> None:
    load_raw_sql(fresh_db, TINY_BOOK)

    result = dbt_build(fresh_db, as_of="2026-11-24", work_dir=tmp_path)

    assert result.success, failures(result)
    kpis = query(fresh_db, "select * from marts.fct_ar_kpi_daily order by kpi_date")
    # from the first invoice (2026-10-05) to the last day with data: 37 days
    assert (len(kpis), kpis[0]["kpi_date"]) == (37, dt.date(2026, 10, 5))
    last = kpis[-1]
    assert (last["kpi_date"], last["data_through"], last["as_of_date"]) == (
        dt.date(2026, 11, 10),
        dt.date(2026, 11, 10),
        dt.date(2026, 11, 24),
    )
    assert (last["total_ar_mxn"], last["overdue_ar_mxn"], last["open_invoices"]) == (
        Decimal("3000.00"),
        Decimal("1000.00"),
        2,
    )
    assert last["dso_countback"] == Decimal("38.50")
    assert (last["dso_simple"], last["best_possible_dso"], last["avg_days_delinquent"]) == (
        Decimal("45.00"),
        Decimal("30.00"),
        Decimal("15.00"),
    )
    assert last["avg_days_past_due_overdue"] == Decimal("6.00")
    assert last["cei"] == Decimal("75.00")
