"""The KPI snapshot and the readiness guard on a real Postgres (marts stand-ins built here)."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from cartera.errors import DataNotReadyError
from cartera.kpi import latest, snapshot
from cartera.readiness import assert_ready_for_campaigns, readiness_problems

pytestmark = pytest.mark.integration
DAY = dt.date(2026, 11, 24)


def _marts(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute(
            """create table if not exists marts.fct_ar_kpi_daily (kpi_date date, total_ar_mxn numeric, overdue_ar_mxn numeric,
               pct_current numeric, dso_countback numeric, cei numeric, avg_days_delinquent numeric, open_invoices integer)"""
        )
        conn.execute("insert into marts.fct_ar_kpi_daily values (%s, 1000, 250, 75, 41.5, 88.2, 6.1, 12)", (DAY,))


def test_the_snapshot_copies_the_days_kpis_and_a_rerun_replaces_it(fresh_db: str) -> None:
    _marts(fresh_db)
    first = snapshot(fresh_db, DAY)
    assert (first.total_ar_mxn, first.open_invoices, float(first.dso_countback or 0)) == (1000, 12, 41.5)
    with psycopg.connect(fresh_db) as conn:
        conn.execute("update marts.fct_ar_kpi_daily set open_invoices = 13")
    snapshot(fresh_db, DAY)
    rows = latest(fresh_db)
    assert len(rows) == 1 and rows[0].open_invoices == 13


def test_a_day_without_marts_has_no_snapshot(fresh_db: str) -> None:
    _marts(fresh_db)
    with pytest.raises(DataNotReadyError, match="2026-11-25"):
        snapshot(fresh_db, DAY + dt.timedelta(days=1))


def test_campaigns_refuse_a_day_whose_gate_failed_or_was_not_scored(fresh_db: str) -> None:
    _marts(fresh_db)
    with psycopg.connect(fresh_db) as conn:
        conn.execute(
            """insert into ops.ingest_loads (load_id, source, entity, rows_extracted, rows_loaded, rows_quarantined, gate_passed)
               values ('l1', 'erp', 'invoices', 10, 0, 9, false)"""
        )
    problems = readiness_problems(fresh_db, DAY)
    assert any("quality gate failed" in p and "invoices" in p for p in problems)
    assert any("not scored" in p for p in problems)
    with pytest.raises(DataNotReadyError):
        assert_ready_for_campaigns(fresh_db, DAY)
