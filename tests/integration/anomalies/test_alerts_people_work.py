"""Anomaly alerts in ops.alerts on a real Postgres: keyed by the facts, a duplicate's invoice held
until someone decides, a dismissed alert not raised again, a confirmed fraud holding the
customer, finance e-mailed once per alert, and SAT's 69-B list loaded with its rejects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cartera import alerts
from cartera.anomalies.book import Finding, Reason
from cartera.anomalies.notify import email_finance
from cartera.anomalies.run import record
from cartera.channels import ChannelError, OutboundMessage, SendResult
from cartera.sources.sat_69b import load, write_sample

pytestmark = pytest.mark.integration
AT = dt.datetime(2026, 5, 29, 23, 0, tzinfo=dt.UTC)
DUPLICATE = Finding("duplicate_invoice", "high", "invoice", "I9", "C2", dt.date(2026, 5, 20), ("I8", "I9"),
                    (Reason("Mismo importe que la factura I8", "Same amount as invoice I8"),))  # fmt: skip
TERMS = Finding("terms_changed", "high", "customer", "C3", "C3", dt.date(2026, 5, 2), ("C3", "2026-05-02"),
                (Reason("Plazo de 30 a 90 días", "Terms from 30 to 90 days"),))  # fmt: skip


def rows(dsn: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


def decide(dsn: str, alert_id: int, status: str) -> None:
    with psycopg.connect(dsn) as conn:
        assert alerts.set_status(conn, alert_id, status, "finanzas1", AT + dt.timedelta(hours=1))  # type: ignore[arg-type]


def test_a_duplicate_holds_its_invoice_and_once_dismissed_is_not_raised_again(fresh_db: str) -> None:
    with psycopg.connect(fresh_db) as conn:
        (alert_id,), holds = record(conn, [DUPLICATE], AT)
    assert holds == 1
    assert rows(fresh_db, "select source, customer_id, status from ops.alerts") == [("anomaly", "C2", "new")]
    assert rows(fresh_db, "select customer_id, invoice_id, reason, released_at from ops.holds") == [
        ("C2", "I9", "fraud_review", None)
    ]

    with psycopg.connect(fresh_db) as conn:  # the next day finds the same facts
        assert record(conn, [DUPLICATE], AT + dt.timedelta(days=1)) == ([alert_id], 0)
    decide(fresh_db, alert_id, "dismissed")
    assert rows(fresh_db, "select released_at is not null from ops.holds") == [(True,)]  # reminders may resume

    with psycopg.connect(fresh_db) as conn:
        assert record(conn, [DUPLICATE], AT + dt.timedelta(days=2)) == ([alert_id], 0)
    assert rows(fresh_db, "select count(*), min(status), max(occurrences) from ops.alerts") == [(1, "dismissed", 3)]
    assert rows(fresh_db, "select count(*) from ops.holds where released_at is null") == [(0,)]


def test_confirming_a_fraud_alert_holds_every_invoice_of_its_customer_once(fresh_db: str) -> None:
    with psycopg.connect(fresh_db) as conn:
        (alert_id,), _ = record(conn, [TERMS], AT)
    decide(fresh_db, alert_id, "confirmed")
    decide(fresh_db, alert_id, "confirmed")  # a second click changes nothing

    assert rows(fresh_db, "select customer_id, invoice_id, reason, alert_id from ops.holds") == [
        ("C3", None, "fraud_review", alert_id)
    ]


def test_a_deterioration_confirmed_is_not_fraud_and_holds_nothing(fresh_db: str) -> None:
    slip = Finding("payment_deterioration", "warning", "customer", "C4", "C4", dt.date(2026, 3, 1), ("C4", "2026-03"),
                   (Reason("paga más tarde", "pays later"),))  # fmt: skip
    with psycopg.connect(fresh_db) as conn:
        (alert_id,), _ = record(conn, [slip], AT)
    decide(fresh_db, alert_id, "confirmed")
    assert rows(fresh_db, "select count(*) from ops.holds") == [(0,)]


class RecordingChannel:
    name, provider = "email", "fake"

    def __init__(self, fail_first: bool = False) -> None:
        self.sent: list[OutboundMessage] = []
        self.fail_first = fail_first

    def send(self, message: OutboundMessage) -> SendResult:
        if self.fail_first:
            self.fail_first = False
            raise ChannelError("rate_limited", transient=True, outcome="not_sent")
        self.sent.append(message)
        return SendResult(f"msg-{len(self.sent)}", 202)

    def find_sent(self, message: OutboundMessage, since: dt.datetime) -> None:
        return None


def test_high_severity_alerts_are_emailed_to_finance_exactly_once(fresh_db: str) -> None:
    slip = Finding("payment_deterioration", "warning", "customer", "C4", "C4", dt.date(2026, 3, 1), ("C4", "2026-03"),
                   (Reason("paga más tarde", "pays later"),))  # fmt: skip
    with psycopg.connect(fresh_db) as conn:
        record(conn, [DUPLICATE, TERMS, slip], AT)
    channel = RecordingChannel(fail_first=True)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        first = email_finance(conn, channel, "finanzas@example.com", AT)
        second = email_finance(conn, channel, "finanzas@example.com", AT)  # the refused one goes now
        third = email_finance(conn, channel, "finanzas@example.com", AT)

    assert (first.sent, first.not_sent, second.sent, third.sent) == (1, 1, 1, 0)
    assert sorted(m.idempotency_key for m in channel.sent) == sorted(
        f"anomaly-alert-{i}" for (i,) in rows(fresh_db, "select alert_id from ops.alerts where severity = 'high'")
    )
    assert rows(fresh_db, "select count(*), min(outcome) from ops.alert_notifications") == [(2, "accepted")]
    assert all("Duplicate invoice" in m.text or "terms" in m.text.lower() for m in channel.sent)


def test_the_69b_list_loads_once_with_its_rejected_rows_in_quarantine(fresh_db: str, tmp_path: Path) -> None:
    path = write_sample(tmp_path / "69b.csv", [
        {"rfc": "AAA010101AA1", "situation": "Definitivo", "presumed_published": dt.date(2025, 1, 2),
         "definitive_published": dt.date(2025, 8, 1)},
        {"rfc": "nope", "situation": "Presunto", "presumed_published": dt.date(2026, 4, 1)},
    ], published=dt.date(2026, 5, 15))  # fmt: skip
    with psycopg.connect(fresh_db) as conn:
        first = load(conn, path)
        again = load(conn, path)

    assert (first["rows"], first["rejected"], again["already_loaded"]) == (1, 1, True)
    assert rows(fresh_db, "select rfc, situation, list_published, definitive_published_dof from raw.sat_69b") == [
        ("AAA010101AA1", "Definitivo", dt.date(2026, 5, 15), dt.date(2025, 8, 1))
    ]
    assert rows(fresh_db, "select entity, rule from quarantine.rejected_rows") == [("sat_69b", "rfc_format")]
