"""The KPI snapshot and the readiness guard on a real Postgres (marts stand-ins built here)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import pytest

from cartera.campaigns.readiness import assert_ready_for_campaigns, readiness_problems
from cartera.errors import DataNotReadyError
from cartera.kpi import latest, snapshot

pytestmark = pytest.mark.integration
DAY = dt.date(2026, 11, 24)


_MART_COLUMNS = """kpi_date date, as_of_date date, data_through date, total_ar_mxn numeric, open_mxn_at_closing_rate numeric,
    open_mxn_at_issue_rate numeric, fx_revaluation_mxn numeric, current_ar_mxn numeric, overdue_ar_mxn numeric,
    pct_current numeric, dso_countback numeric, dso_simple numeric, best_possible_dso numeric,
    avg_days_delinquent numeric, avg_days_past_due_overdue numeric, cei numeric, dso_period_sales_mxn numeric,
    open_invoices integer, overdue_invoices integer"""


def _marts(dsn: str, *, as_of: dt.date = DAY, data_through: dt.date = DAY, days: int = 1) -> None:
    """A stand-in fct_ar_kpi_daily built for `as_of`: `days` days ending on `data_through`, each day's
    open_invoices being its day of the month (so rows are told apart)."""
    with psycopg.connect(dsn) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("drop table if exists marts.fct_ar_kpi_daily")
        conn.execute(f"create table marts.fct_ar_kpi_daily ({_MART_COLUMNS})")
        for offset in range(days):
            day = data_through - dt.timedelta(days=offset)
            conn.execute(
                """insert into marts.fct_ar_kpi_daily values (%s, %s, %s, 1000, 1000, 990, 10, 750, 250, 75, 41.5,
                   40.25, 30.1, 10.15, 35.7, 88.2, 2236.02, %s, 3)""",
                (day, as_of, data_through, day.day),
            )


def _snapshots(dsn: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("select * from kpi.daily_snapshots order by as_of_date").fetchall()


def test_the_snapshot_copies_the_days_kpis_and_a_rerun_replaces_it(fresh_db: str) -> None:
    _marts(fresh_db)
    first = snapshot(fresh_db, DAY)
    assert (first.total_ar_mxn, first.open_invoices, float(first.dso_countback or 0)) == (1000, 24, 41.5)
    assert (first.dso_simple, first.best_possible_dso, first.avg_days_delinquent) == (
        Decimal("40.25"),
        Decimal("30.10"),
        Decimal("10.15"),
    )
    assert (first.fx_revaluation_mxn, first.avg_days_past_due_overdue) == (Decimal("10.00"), Decimal("35.70"))
    with psycopg.connect(fresh_db) as conn:
        conn.execute("update marts.fct_ar_kpi_daily set open_invoices = 13")
    snapshot(fresh_db, DAY)
    rows = latest(fresh_db)
    assert len(rows) == 1 and rows[0].open_invoices == 13


def test_the_snapshot_backfills_a_row_per_day_and_a_rerun_writes_the_same_rows(fresh_db: str) -> None:
    _marts(fresh_db, days=400)
    snapshot(fresh_db, DAY)
    written = _snapshots(fresh_db)
    snapshot(fresh_db, DAY)

    assert _snapshots(fresh_db) == written
    history = latest(fresh_db, 1000)
    assert len(history) == 400
    assert [r.as_of_date for r in history] == [DAY - dt.timedelta(days=n) for n in range(400)]
    assert all(r.data_through == r.as_of_date for r in history)
    assert [r.open_invoices for r in history[:3]] == [24, 23, 22]
    # the champion's AUC belongs to the run's day only (none trained here)
    assert all(r.model_auc_test is None for r in history)


def test_an_as_of_day_without_data_is_labelled_with_the_last_day_with_data(fresh_db: str) -> None:
    # Ingest ran at 00:30 on the 25th for the 24th: the marts built for the 25th end on the 24th.
    _marts(fresh_db, as_of=DAY + dt.timedelta(days=1), data_through=DAY, days=3)

    today = snapshot(fresh_db, DAY + dt.timedelta(days=1))

    assert (today.as_of_date, today.data_through, today.open_invoices) == (DAY + dt.timedelta(days=1), DAY, 24)
    assert [(r.as_of_date.day, r.data_through, r.open_invoices) for r in latest(fresh_db)] == [
        (25, DAY, 24),
        (24, DAY, 24),
        (23, DAY - dt.timedelta(days=1), 23),
        (22, DAY - dt.timedelta(days=2), 22),
    ]


def test_a_later_run_completes_an_empty_day_and_rerunning_the_empty_day_does_not_undo_it(fresh_db: str) -> None:
    later = DAY + dt.timedelta(days=1)
    _marts(fresh_db, as_of=later, data_through=DAY, days=2)
    snapshot(fresh_db, later)  # the 25th, data through the 24th
    _marts(fresh_db, as_of=later + dt.timedelta(days=1), data_through=later, days=3)
    snapshot(fresh_db, later + dt.timedelta(days=1))  # the 26th, data through the 25th: the 25th is restated

    _marts(fresh_db, as_of=later, data_through=DAY, days=2)
    kept = snapshot(fresh_db, later)  # rerunning the 25th on data through the 24th

    assert (kept.as_of_date, kept.data_through, kept.open_invoices) == (later, later, 25)


def test_a_day_without_marts_has_no_snapshot(fresh_db: str) -> None:
    _marts(fresh_db)
    with pytest.raises(DataNotReadyError, match="2026-11-25.*built for 2026-11-24"):
        snapshot(fresh_db, DAY + dt.timedelta(days=1))


def test_a_writer_of_the_first_version_still_keys_its_row_by_the_day(fresh_db: str) -> None:
    with psycopg.connect(fresh_db) as conn:
        conn.execute(
            """insert into kpi.daily_snapshots (snapshot_date, total_ar_mxn, overdue_ar_mxn, open_invoices)
               values (%s, 1000, 250, 12)""",
            (DAY,),
        )
        row = conn.execute("select as_of_date, snapshot_date from kpi.daily_snapshots").fetchone()
    assert row == (DAY, DAY)


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


def test_marts_built_for_the_day_are_ready_even_when_their_data_ends_the_day_before(fresh_db: str) -> None:
    _marts(fresh_db, as_of=DAY, data_through=DAY - dt.timedelta(days=1))

    problems = readiness_problems(fresh_db, DAY)

    assert not any("marts not built" in p for p in problems)
    assert any("marts not built" in p for p in readiness_problems(fresh_db, DAY + dt.timedelta(days=1)))


def test_the_ddl_upgrades_a_table_of_the_first_version_in_place(fresh_db: str) -> None:
    from cartera.db import apply_ddl

    with psycopg.connect(fresh_db) as conn:
        conn.execute("drop table kpi.daily_snapshots")
        conn.execute(
            """create table kpi.daily_snapshots (snapshot_date date primary key, total_ar_mxn numeric(18, 2) not null,
               overdue_ar_mxn numeric(18, 2) not null, pct_current numeric(7, 2), dso_countback numeric(9, 2),
               cei numeric(7, 2), avg_days_delinquent numeric(9, 2), open_invoices integer not null,
               rows_quarantined_today integer not null default 0, model_auc_test numeric(6, 4),
               taken_at timestamptz not null default now())"""
        )
        conn.execute(
            "insert into kpi.daily_snapshots (snapshot_date, total_ar_mxn, overdue_ar_mxn, open_invoices) values (%s, 1, 0, 1)",
            (DAY,),
        )
        apply_ddl(conn)
        apply_ddl(conn)  # twice: idempotent
    _marts(fresh_db, days=2)
    snapshot(fresh_db, DAY)

    assert [(r.as_of_date, r.data_through, r.open_invoices) for r in latest(fresh_db)] == [
        (DAY, DAY, 24),
        (DAY - dt.timedelta(days=1), DAY - dt.timedelta(days=1), 23),
    ]
