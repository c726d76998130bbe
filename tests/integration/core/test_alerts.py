"""ops.alerts: one row per fact, counted when raised again, a dismissal kept; a failed stage
raises one before its task fails."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from cartera import alerts
from cartera.errors import QualityGateFailedError

pytestmark = pytest.mark.integration
AT = dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC)


def _alert(summary: str = "gate failed") -> alerts.Alert:
    return alerts.Alert(dedup_key="task:x:quality_gate_failed:2026-12-01", kind="quality_gate_failed",
                        severity="critical", summary=summary, reasons=["invoices: 3 rows"])  # fmt: skip


def test_raising_the_same_fact_twice_counts_it_once_more_instead_of_adding_a_row(fresh_db: str) -> None:
    first = alerts.raise_alert(fresh_db, _alert(), AT)
    second = alerts.raise_alert(fresh_db, _alert("gate failed again"), AT + dt.timedelta(hours=1))
    with psycopg.connect(fresh_db) as conn:
        rows = conn.execute("select alert_id, occurrences, last_seen_at, summary, status from ops.alerts").fetchall()
    assert first == second and len(rows) == 1
    assert rows[0][1:] == (2, AT + dt.timedelta(hours=1), "gate failed again", "new")


def test_a_dismissed_alert_stays_dismissed_for_the_same_facts(fresh_db: str) -> None:
    alert_id = alerts.raise_alert(fresh_db, _alert(), AT)
    assert alert_id is not None
    with psycopg.connect(fresh_db) as conn:
        assert alerts.set_status(conn, alert_id, "dismissed", "finanzas", AT)
        assert not alerts.set_status(conn, alert_id + 999, "dismissed", "finanzas", AT)
    alerts.raise_alert(fresh_db, _alert("new text"), AT + dt.timedelta(days=1))
    with psycopg.connect(fresh_db) as conn:
        (status, summary, by) = conn.execute("select status, summary, decided_by from ops.alerts").fetchone() or ()
    assert (status, summary, by) == ("dismissed", "gate failed", "finanzas")


def test_an_alert_that_cannot_be_written_does_not_hide_the_original_error() -> None:
    assert alerts.raise_alert("postgresql://nobody@127.0.0.1:1/none", _alert(), AT) is None


def test_a_failed_quality_gate_in_a_task_raises_an_alert_and_fails_the_task(
    fresh_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cartera import tasks
    from cartera.config import get_settings

    monkeypatch.setenv("CARTERA_DATABASE_URL", fresh_db)
    get_settings.cache_clear()
    context = {"logical_date": AT, "params": {}}

    def failing() -> None:
        raise QualityGateFailedError("invoices", {"due_date_after_issue_date": 3})

    try:
        with pytest.raises(QualityGateFailedError):
            tasks._alerting("ingest_erp", context, failing)
    finally:
        get_settings.cache_clear()
    with psycopg.connect(fresh_db) as conn:
        rows = conn.execute("select kind, severity, entity_id, summary from ops.alerts").fetchall()
    assert len(rows) == 1 and rows[0][:3] == ("quality_gate_failed", "critical", "ingest_erp")
    assert "due_date_after_issue_date: 3 rows" in rows[0][3]
