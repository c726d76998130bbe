"""Decisions are written to ops.contact_decisions (one row each, the engine's and the campaigns'
own rules' alike) and can be read back to explain, per customer, why a message did or did not go
out."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import psycopg
import pytest

from cartera.db import apply_ddl
from cartera.policy import Candidate, ContactProfile, PolicyEngine, SentMessage
from cartera.policy.audit import AuditRecord, explain_customer, record_decisions

pytestmark = pytest.mark.integration

AT = dt.datetime(2026, 3, 2, 4, 30, tzinfo=dt.UTC)  # 22:30 in Mexico City on Sunday 1 March


def test_decisions_are_recorded_with_rule_version_and_no_personal_data(fresh_db: str) -> None:
    engine = PolicyEngine.load(["MX"])
    profile = ContactProfile("cust-7", "MX", False, timezone="America/Mexico_City")
    late = Candidate("cust-7", "email", ("inv-1", "inv-2"), AT)
    deferred = engine.decide(late, profile)
    whatsapp = Candidate("cust-7", "whatsapp", ("inv-1",), AT + dt.timedelta(hours=12))
    denied = engine.decide(whatsapp, profile, history=[SentMessage(AT - dt.timedelta(days=1), "sms", ("inv-1",))])
    decided_at = AT + dt.timedelta(minutes=1)
    with psycopg.connect(fresh_db) as conn:
        written = record_decisions(
            conn,
            [
                AuditRecord.of(late, deferred, decided_at, stage="build", batch_id="b-2026-03-01"),
                AuditRecord.of(whatsapp, denied, decided_at, stage="send", outbox_id=42),
            ],
        )
        conn.commit()
    assert written == 2
    with psycopg.connect(fresh_db) as conn:
        rows = explain_customer(conn, "cust-7", since=AT - dt.timedelta(days=1))
    assert [row["verdict"] for row in rows] == ["defer", "deny"]
    first, second = rows
    assert first["next_allowed_at"] == dt.datetime(2026, 3, 2, 13, tzinfo=dt.UTC)
    assert first["rule_id"] == "MX-CONDUSEF-2014/contact_window"
    assert first["rule_pack_version"] == "2026.2/platform@2026.2"
    assert first["invoice_ids"] == ["inv-1", "inv-2"]
    assert "22:00" in first["reason_es"] and first["reasons"][0]["verification"] == "V-sec"
    assert second["reason_codes"] == ["no_whatsapp_opt_in"] and second["outbox_id"] == 42
    assert second["inputs"]["zone_source"] == "address"
    assert second["inputs"]["sent_last_7d_by_channel"] == {"sms": 1}
    stored = json.dumps(first["inputs"]) + json.dumps(second["inputs"])
    assert "cust-7" not in stored  # the inputs summary carries no identifiers or contact data


def test_an_allow_is_recorded_too_and_a_defer_without_next_instant_is_refused(fresh_db: str) -> None:
    engine = PolicyEngine.load(["MX"])
    profile = ContactProfile("cust-8", "MX", True, timezone="America/Mexico_City")
    noon = Candidate("cust-8", "sms", ("inv-9",), dt.datetime(2026, 3, 2, 18, tzinfo=dt.UTC))
    allowed = engine.decide(noon, profile)
    with psycopg.connect(fresh_db) as conn:
        record_decisions(conn, [AuditRecord.of(noon, allowed, noon.proposed_at, stage="send")])
        row = conn.execute("select verdict, reason_codes, rule_id from ops.contact_decisions").fetchone()
        assert row == ("allow", ["allowed"], "MX-CONDUSEF-2014")
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "insert into ops.contact_decisions (decided_at, stage, customer_id, channel, proposed_at, verdict,"
                " rule_pack_id, rule_pack_version, rule_id, reason_codes, reason_es, reason_en, reasons, inputs)"
                " values (now(), 'send', 'x', 'sms', now(), 'defer', 'p', 'v', 'r', '{}', '', '', '[]', '{}')"
            )


def test_the_recipient_role_and_the_judged_text_version_are_recorded(fresh_db: str) -> None:
    engine = PolicyEngine.load(["US"])
    profile = ContactProfile("cust-9", "US", True, timezone="America/New_York")
    text = "Acme: your balance of $120.00 is past due."  # no opt-out instructions
    report = engine.check_content(text, "en-US", "US", channel="sms")
    noon = dt.datetime(2026, 3, 4, 17, tzinfo=dt.UTC)
    to_debtor = Candidate("cust-9", "sms", ("inv-3",), noon)
    judged = engine.decide(to_debtor, profile, content=report)
    to_employer = Candidate("cust-9", "email", ("inv-3",), noon, recipient_role="employer")
    refused = engine.decide(to_employer, profile)
    with psycopg.connect(fresh_db) as conn:
        record_decisions(conn, [AuditRecord.of(to_debtor, judged, noon), AuditRecord.of(to_employer, refused, noon)])
        conn.commit()
        rows = explain_customer(conn, "cust-9", since=noon - dt.timedelta(days=1))
        apply_ddl(conn)  # the added columns are idempotent on a database that already has them
        conn.commit()
    first, second = rows
    assert first["verdict"] == "deny" and first["reason_codes"] == ["content_missing"]
    assert first["rule_id"] == "US-FDCPA-REGF/electronic_opt_out"
    assert first["content_sha256"] == report.content_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert first["recipient_role"] == "debtor" and first["inputs"]["content_sha256"] == report.content_sha256
    assert text not in json.dumps(first["inputs"]) + json.dumps(first["reasons"])
    assert second["recipient_role"] == "employer" and second["content_sha256"] is None
    assert second["reason_codes"] == ["recipient_not_allowed", "recipient_not_allowed"]


def test_a_campaign_rules_decision_without_a_channel_is_one_row_of_the_same_table(fresh_db: str) -> None:
    from cartera.campaigns.decisions import RULES_VERSION, ruled

    at = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
    paid = ruled(
        "deny", "invoice_not_open", "Pagada.", "Paid.", rule_id="CAMPAIGNS/invoice_not_open", blocked_invoice_ids=["i2"]
    )
    record = AuditRecord(paid, "cust-10", at, invoice_ids=("i1", "i2"), step="recordatorio", batch_id="b-1")
    with psycopg.connect(fresh_db) as conn:
        record_decisions(conn, [record])
        (row,) = explain_customer(conn, "cust-10", since=at - dt.timedelta(days=1))
    assert (row["channel"], row["step"], row["proposed_at"]) == (None, "recordatorio", at)
    assert (row["rule_pack_id"], row["rule_pack_version"], row["rule_id"]) == (
        "CAMPAIGNS",
        RULES_VERSION,
        "CAMPAIGNS/invoice_not_open",
    )
    assert row["invoice_ids"] == ["i1", "i2"] and row["blocked_invoice_ids"] == ["i2"]
    assert row["reason_codes"] == ["invoice_not_open"] and row["reasons"][0]["effect"] == "deny"
