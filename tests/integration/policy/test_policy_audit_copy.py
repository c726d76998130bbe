"""Many decisions at once (a build's) are written with COPY: the same rows, in the same order, as
one statement per decision writes."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from cartera.policy import Candidate, ContactProfile, PolicyEngine, SentMessage
from cartera.policy.audit import COPY_FROM, AuditRecord, record_decisions

pytestmark = pytest.mark.integration

AT = dt.datetime(2026, 3, 2, 4, 30, tzinfo=dt.UTC)  # 22:30 in Mexico City: deferred


def _records() -> list[AuditRecord]:
    """Defers, denials and allows with every optional column set and left empty in turn."""
    engine = PolicyEngine.load(["MX"])
    records = []
    for n in range(COPY_FROM + 3):
        profile = ContactProfile(f"cust-{n}", "MX", n % 2 == 0, timezone="America/Mexico_City")
        at = AT + dt.timedelta(hours=n % 24)
        candidate = Candidate(f"cust-{n}", ("email", "sms", "whatsapp")[n % 3], (f"inv-{n}", "inv-x'\"{,}"), at)
        history = [SentMessage(at - dt.timedelta(days=1), "sms", (f"inv-{n}",))] if n % 4 == 0 else []
        decision = engine.decide(candidate, profile, history=history)
        records.append(
            AuditRecord.of(candidate, decision, AT, stage=("build", "send")[n % 2], step="recordatorio" if n % 5 else None,
                           batch_id="b-1" if n % 2 else None, outbox_id=n if n % 3 == 0 else None,
                           idempotency_key=f"k{n}" if n % 2 == 0 else None)
        )  # fmt: skip
    return records


def _stored(conn: psycopg.Connection) -> list[tuple[object, ...]]:
    return conn.execute(
        "select decided_at, stage, batch_id, outbox_id, idempotency_key, customer_id, invoice_ids, blocked_invoice_ids, "
        "step, channel, recipient_role, proposed_at, verdict, next_allowed_at, rule_pack_id, rule_pack_version, "
        "rule_id, reason_codes, reason_es, reason_en, reasons, inputs, content_sha256 "
        "from ops.contact_decisions order by decision_id"
    ).fetchall()


def test_a_copy_of_many_decisions_stores_what_one_statement_each_stores(fresh_db: str) -> None:
    records = _records()
    assert {r.decision.verdict for r in records} >= {"defer", "deny"}
    with psycopg.connect(fresh_db) as conn:
        one_by_one = sum(record_decisions(conn, [record]) for record in records)
        singly = _stored(conn)
        conn.execute("truncate ops.contact_decisions")
        at_once = record_decisions(conn, records)
        copied = _stored(conn)
    assert one_by_one == at_once == len(records) == len(copied)
    assert copied == singly
