"""The dashboard reads the warehouse and shows figures, never personal data."""

from __future__ import annotations

import datetime as dt
import warnings

import psycopg
import pytest

from cartera.dashboard.app import create_app

pytestmark = pytest.mark.integration


def test_the_dashboard_shows_kpis_and_data_health_and_nothing_before_the_first_run(fresh_db: str) -> None:
    with warnings.catch_warnings():
        # Starlette's test client (pinned with Airflow's web stack) still imports anyio's old
        # BlockingPortal alias; harmless, and not ours to fix.
        warnings.filterwarnings("ignore", message="The anyio.abc.BlockingPortal alias", category=DeprecationWarning)
        from fastapi.testclient import TestClient

    client = TestClient(create_app(lambda: fresh_db))
    empty = client.get("/")
    assert empty.status_code == 200 and "nothing yet" in empty.text
    with psycopg.connect(fresh_db) as conn:
        conn.execute(
            "insert into kpi.daily_snapshots (snapshot_date, total_ar_mxn, overdue_ar_mxn, dso_countback, open_invoices) values (%s, 1000, 250, 41.5, 12)",
            (dt.date(2026, 11, 24),),
        )
        conn.execute(
            """insert into ops.ingest_loads (load_id, source, entity, rows_extracted, rows_loaded, rows_quarantined, gate_passed)
               values ('l1', 'erp', 'invoices', 10, 9, 1, true)"""
        )
        conn.execute(
            """insert into ops.policy_decisions (decided_at, stage, customer_id, channel, invoice_ids, proposed_at,
                   verdict, next_allowed_at, rule_pack_id, rule_pack_version, rule_id, reason_codes, reason_es, reason_en,
                   reasons, inputs)
               values (%s, 'build', 'C1', 'email', '{I1}', %s, 'defer', %s, 'MX-CONDUSEF-2014', '2026.1',
                   'MX-CONDUSEF-2014/contact_window', '{outside_contact_window}', 'fuera', 'outside', '[]', '{}')""",
            (dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC),) * 2 + (dt.datetime(2026, 11, 24, 13, tzinfo=dt.UTC),),
        )
    page = client.get("/")
    assert "2026-11-24" in page.text and "41.5" in page.text and "invoices" in page.text
    kpis = client.get("/api/kpis").json()
    assert kpis["rows"][0]["open invoices"] == "12"
    policy = client.get("/api/policy").json()["rows"]
    assert policy == [
        {
            "day": "2026-11-24",
            "stage": "build",
            "verdict": "defer",
            "rule": "MX-CONDUSEF-2014/contact_window",
            "pack version": "2026.1",
            "decisions": "1",
        }
    ]
    assert client.get("/api/nope").status_code == 404
