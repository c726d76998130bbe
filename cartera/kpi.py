"""The daily KPI history: `kpi.daily_snapshots`, one row per day, from `marts.fct_ar_kpi_daily`.

A snapshot for a business date copies every day of the mart built for that date (13 months of
history; a later run restates earlier days with what the marts now say) and writes the row of the
business date itself. That row's data ends on the mart's `data_through`, the last day with posted
data: when the as-of day is still empty (ingest reads the previous day at 00:30), the row carries
the KPIs of `data_through` and says so, rather than counting an empty day.

Idempotent: the values depend only on the marts and the caller's business date (no clock), so a
rerun writes the same rows. A row is never replaced by one whose data ends earlier.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cartera.db import connect
from cartera.errors import DataNotReadyError


@dataclass(frozen=True)
class KpiSnapshot:
    """One row of kpi.daily_snapshots (formulas in fct_ar_kpi_daily.yml; amounts in MXN at the
    day's closing rate unless named otherwise)."""

    as_of_date: dt.date
    data_through: dt.date | None
    total_ar_mxn: Decimal
    open_mxn_at_issue_rate: Decimal | None
    fx_revaluation_mxn: Decimal | None
    overdue_ar_mxn: Decimal
    pct_current: Decimal | None
    dso_countback: Decimal | None
    dso_simple: Decimal | None
    best_possible_dso: Decimal | None
    avg_days_delinquent: Decimal | None
    avg_days_past_due_overdue: Decimal | None
    cei: Decimal | None
    open_invoices: int
    overdue_invoices: int | None
    rows_quarantined_today: int
    model_auc_test: Decimal | None


_HISTORY = """
select as_of_date, data_through, total_ar_mxn, open_mxn_at_issue_rate, fx_revaluation_mxn, overdue_ar_mxn,
       pct_current, dso_countback, dso_simple, best_possible_dso, avg_days_delinquent, avg_days_past_due_overdue,
       cei, open_invoices, overdue_invoices, rows_quarantined_today, model_auc_test
from kpi.daily_snapshots
where as_of_date <= %(until)s
order by as_of_date desc
limit %(limit)s
"""

# Every mart day is a row of its own (its data ends that day); the as-of day, when it is after the
# last day with data, gets the KPIs of that last day.
_UPSERT = """
with mart_days as (
    select k.*, k.kpi_date as row_date from marts.fct_ar_kpi_daily k
    union all
    select k.*, %(day)s::date as row_date from marts.fct_ar_kpi_daily k
    where k.kpi_date = k.data_through and k.data_through < %(day)s::date
),
quarantined as (
    select cast(rejected_at as date) as rejected_date, count(*) as rows_quarantined
    from quarantine.rejected_rows
    where rejected_at >= (select min(row_date) from mart_days)
    group by 1
)
insert into kpi.daily_snapshots (
    as_of_date, data_through, total_ar_mxn, open_mxn_at_closing_rate, open_mxn_at_issue_rate, fx_revaluation_mxn,
    current_ar_mxn, overdue_ar_mxn, pct_current, dso_countback, dso_simple, best_possible_dso, avg_days_delinquent,
    avg_days_past_due_overdue, cei, dso_period_sales_mxn, open_invoices, overdue_invoices, rows_quarantined_today,
    model_auc_test, snapshot_run_date)
select m.row_date, m.kpi_date, m.total_ar_mxn, m.open_mxn_at_closing_rate, m.open_mxn_at_issue_rate,
       m.fx_revaluation_mxn, m.current_ar_mxn, m.overdue_ar_mxn, m.pct_current, m.dso_countback, m.dso_simple,
       m.best_possible_dso, m.avg_days_delinquent, m.avg_days_past_due_overdue, m.cei, m.dso_period_sales_mxn,
       m.open_invoices, m.overdue_invoices, coalesce(q.rows_quarantined, 0),
       case when m.row_date = %(day)s::date then %(auc)s::numeric end, %(day)s::date
from mart_days m
left join quarantined q on q.rejected_date = m.row_date
on conflict (as_of_date) do update set
    data_through = excluded.data_through, total_ar_mxn = excluded.total_ar_mxn,
    open_mxn_at_closing_rate = excluded.open_mxn_at_closing_rate,
    open_mxn_at_issue_rate = excluded.open_mxn_at_issue_rate, fx_revaluation_mxn = excluded.fx_revaluation_mxn,
    current_ar_mxn = excluded.current_ar_mxn, overdue_ar_mxn = excluded.overdue_ar_mxn,
    pct_current = excluded.pct_current, dso_countback = excluded.dso_countback, dso_simple = excluded.dso_simple,
    best_possible_dso = excluded.best_possible_dso, avg_days_delinquent = excluded.avg_days_delinquent,
    avg_days_past_due_overdue = excluded.avg_days_past_due_overdue, cei = excluded.cei,
    dso_period_sales_mxn = excluded.dso_period_sales_mxn, open_invoices = excluded.open_invoices,
    overdue_invoices = excluded.overdue_invoices, rows_quarantined_today = excluded.rows_quarantined_today,
    -- the champion's AUC belongs to the run's own day; restating history keeps what was recorded
    model_auc_test = coalesce(excluded.model_auc_test, kpi.daily_snapshots.model_auc_test),
    snapshot_run_date = excluded.snapshot_run_date
where kpi.daily_snapshots.data_through is null or kpi.daily_snapshots.data_through <= excluded.data_through
"""


def _champion_auc(conn: Any) -> Decimal | None:
    try:
        with conn.transaction():
            row = conn.execute(
                "select (metrics->>'auc_test')::numeric from ml.models where is_champion order by trained_at desc limit 1"
            ).fetchone()
    except Exception:  # noqa: BLE001 - no model trained yet
        return None
    return row[0] if row else None


def _built_for(conn: Any) -> tuple[dt.date | None, dt.date | None]:
    try:
        with conn.transaction():
            row = conn.execute("select max(as_of_date), max(data_through) from marts.fct_ar_kpi_daily").fetchone()
    except Exception:  # noqa: BLE001 - the marts were never built
        return None, None
    return (row[0], row[1]) if row else (None, None)


def snapshot(dsn: str, as_of: dt.date) -> KpiSnapshot:
    """Write the KPI history of the marts built for `as_of` (one row per day, and the row of
    `as_of`, whose `data_through` says which day its data ends on) and return the row of `as_of`.
    Fails when the marts were not built for `as_of`."""
    with connect(dsn) as conn:
        built_for, data_through = _built_for(conn)
        if built_for != as_of or data_through is None:
            found = f"they were built for {built_for.isoformat()}" if built_for else "they hold no KPI day"
            raise DataNotReadyError(
                as_of.isoformat(), [f"marts.fct_ar_kpi_daily is not built for the day ({found}): run the warehouse DAG"]
            )
        conn.execute(_UPSERT, {"day": as_of, "auc": _champion_auc(conn)})
        # just written, or kept when it already covered later data
        row = conn.execute(_HISTORY, {"until": as_of, "limit": 1}).fetchone()
    if row is None:  # unreachable: the upsert wrote the day's row or kept a more complete one
        raise DataNotReadyError(as_of.isoformat(), ["kpi.daily_snapshots has no row for the day"])
    return KpiSnapshot(*row)


def latest(dsn: str, limit: int = 7) -> list[KpiSnapshot]:
    """The most recent days of the history, newest first."""
    with connect(dsn) as conn:
        rows = conn.execute(_HISTORY, {"until": dt.date.max, "limit": limit}).fetchall()
    return [KpiSnapshot(*r) for r in rows]
