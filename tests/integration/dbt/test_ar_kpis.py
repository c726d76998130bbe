"""The daily AR KPIs on a book small enough to compute by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from warehouse_builds import dbt_build, failures, load_raw_sql, query

pytestmark = pytest.mark.integration

# As of 2026-11-24 (countback months: (Oct 24, Nov 24] = 31 days, (Sep 24, Oct 24] = 30 days):
#   T1 issued 2026-11-10, 2,000, due 2026-12-10, open (current).
#   T2 issued 2026-10-05, 4,000, due 2026-11-04, 3,000 paid on 2026-10-30 -> 1,000 open, overdue.
# AR 3,000: Nov-month sales 2,000 absorbed (31 days), then 1,000 of Oct-month's 4,000:
#   30 x 1,000 / 4,000 = 7.5 days -> DSO 38.50. Best possible DSO on 2,000 current: 31 -> ADD 7.50.
# CEI: AR at end of 2026-10-25 is 4,000; sales (Oct 25, Nov 24] 2,000; ending AR 3,000, current 2,000:
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


def test_dso_countback_cei_and_days_delinquent_match_the_hand_computation(fresh_db: str, tmp_path: Path) -> None:
    load_raw_sql(fresh_db, TINY_BOOK)

    result = dbt_build(fresh_db, as_of="2026-11-24", work_dir=tmp_path)

    assert result.success, failures(result)
    kpis = query(fresh_db, "select * from marts.fct_ar_kpi_daily order by kpi_date")
    assert len(kpis) == 90
    last = kpis[-1]
    assert last["kpi_date"] == dt.date(2026, 11, 24)
    assert (last["total_ar_mxn"], last["overdue_ar_mxn"], last["open_invoices"]) == (
        Decimal("3000.00"),
        Decimal("1000.00"),
        2,
    )
    assert last["dso_countback"] == Decimal("38.50")
    assert last["avg_days_delinquent"] == Decimal("7.50")
    assert last["cei"] == Decimal("75.00")
