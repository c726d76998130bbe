"""The daily KPI snapshot: one row per business day, copied from the marts once they are built.

Rerunning a day replaces its row (upsert), so the snapshot is idempotent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from cartera.db import connect
from cartera.errors import DataNotReadyError


@dataclass(frozen=True)
class KpiSnapshot:
    snapshot_date: dt.date
    total_ar_mxn: Decimal
    overdue_ar_mxn: Decimal
    pct_current: Decimal | None
    dso_countback: Decimal | None
    cei: Decimal | None
    avg_days_delinquent: Decimal | None
    open_invoices: int
    rows_quarantined_today: int
    model_auc_test: Decimal | None


_UPSERT = """
insert into kpi.daily_snapshots (snapshot_date, total_ar_mxn, overdue_ar_mxn, pct_current, dso_countback, cei,
                                 avg_days_delinquent, open_invoices, rows_quarantined_today, model_auc_test)
select k.kpi_date, k.total_ar_mxn, k.overdue_ar_mxn, k.pct_current, k.dso_countback, k.cei,
       k.avg_days_delinquent, k.open_invoices,
       (select count(*) from quarantine.rejected_rows q
         where q.rejected_at >= %(day)s::date and q.rejected_at < %(day)s::date + 1),
       %(auc)s
from marts.fct_ar_kpi_daily k
where k.kpi_date = %(day)s
on conflict (snapshot_date) do update set
    total_ar_mxn = excluded.total_ar_mxn, overdue_ar_mxn = excluded.overdue_ar_mxn,
    pct_current = excluded.pct_current, dso_countback = excluded.dso_countback, cei = excluded.cei,
    avg_days_delinquent = excluded.avg_days_delinquent, open_invoices = excluded.open_invoices,
    rows_quarantined_today = excluded.rows_quarantined_today, model_auc_test = excluded.model_auc_test,
    taken_at = now()
returning snapshot_date, total_ar_mxn, overdue_ar_mxn, pct_current, dso_countback, cei, avg_days_delinquent,
          open_invoices, rows_quarantined_today, model_auc_test
"""


def _champion_auc(conn: object) -> Decimal | None:
    try:
        with conn.transaction():  # type: ignore[attr-defined]
            row = conn.execute(  # type: ignore[attr-defined]
                "select (metrics->>'auc_test')::numeric from ml.models where is_champion order by trained_at desc limit 1"
            ).fetchone()
    except Exception:  # noqa: BLE001 - no model trained yet
        return None
    return row[0] if row else None


def snapshot(dsn: str, as_of: dt.date) -> KpiSnapshot:
    """Write (or replace) the KPI row of `as_of`; fails when the marts were not built for that day."""
    with connect(dsn) as conn:
        auc = _champion_auc(conn)
        row = conn.execute(_UPSERT, {"day": as_of, "auc": auc}).fetchone()
        if row is None:
            raise DataNotReadyError(
                as_of.isoformat(), ["marts.fct_ar_kpi_daily has no row for the day: run the warehouse DAG"]
            )
    return KpiSnapshot(*row)


def latest(dsn: str, limit: int = 7) -> list[KpiSnapshot]:
    """The most recent snapshots, newest first."""
    with connect(dsn) as conn:
        rows = conn.execute(
            """select snapshot_date, total_ar_mxn, overdue_ar_mxn, pct_current, dso_countback, cei, avg_days_delinquent,
                      open_invoices, rows_quarantined_today, model_auc_test
               from kpi.daily_snapshots order by snapshot_date desc limit %s""",
            (limit,),
        ).fetchall()
    return [KpiSnapshot(*r) for r in rows]
