"""cartera/sql/25_policy.sql on a database that still has the two audit tables of before (the old
ops.contact_decisions and ops.policy_decisions, with rows): every decision survives, once — a
decision both tables recorded is one row with the details of both, one only the engine's table had
is added — the old table is gone, and running the SQL again changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from cartera.db import apply_ddl

pytestmark = pytest.mark.integration

# The two tables as cartera/sql/20_campaigns.sql and 25_policy.sql created them before the merge.
OLD_TABLES = """
drop table ops.contact_decisions;
create table ops.contact_decisions (
    decision_id bigserial primary key,
    decided_at timestamptz not null,
    stage text not null check (stage in ('build', 'send')),
    batch_id text,
    outbox_id bigint,
    idempotency_key text,
    customer_id text not null,
    invoice_id text,
    step text,
    channel text,
    verdict text not null check (verdict in ('allow', 'defer', 'deny')),
    rule_id text not null,
    reason_code text not null,
    reason_es text not null,
    reason_en text not null,
    next_allowed_at timestamptz
);
create index contact_decisions_customer_idx on ops.contact_decisions (customer_id, decided_at);
create table ops.policy_decisions (
    decision_id bigserial primary key,
    decided_at timestamptz not null,
    stage text not null check (stage in ('build', 'send', 'preview')),
    customer_id text not null,
    channel text not null,
    invoice_ids text[] not null default '{}',
    proposed_at timestamptz not null,
    verdict text not null check (verdict in ('allow', 'defer', 'deny')),
    next_allowed_at timestamptz,
    rule_pack_id text not null,
    rule_pack_version text not null,
    rule_id text not null,
    reason_codes text[] not null,
    reason_es text not null,
    reason_en text not null,
    reasons jsonb not null,
    inputs jsonb not null,
    blocked_invoice_ids text[] not null default '{}',
    batch_id text,
    outbox_id bigint,
    idempotency_key text,
    recipient_role text not null default 'debtor',
    content_sha256 text,
    constraint policy_decisions_defer_has_next check ((verdict = 'defer') = (next_allowed_at is not null))
);
"""

BUILD = dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC)
EVENING = dt.datetime(2026, 3, 11, 5, tzinfo=dt.UTC)
MORNING = dt.datetime(2026, 3, 11, 13, tzinfo=dt.UTC)
PACK, VERSION = "MX-CONDUSEF-2014", "2026.2/platform@2026.2"
WINDOW = f"{PACK}/contact_window"
SHA = "ab" * 32

# (decided_at, stage, batch, outbox, key, customer, invoice, step, channel, verdict, rule, code, next)
CONTACT_ROWS = [
    # The day's build: a collectibility denial, the learner's line, the engine's allow, a merged step.
    (BUILD, "build", "b1", None, None, "C1", "I9", "recordatorio", None, "deny", "CAMPAIGNS/invoice_disputed",
     "invoice_disputed", None),
    (BUILD, "build", "b1", None, "k1", "C1", None, "recordatorio", "email", "allow", "learning/strategy",
     "learner_exploit", None),
    (BUILD, "build", "b1", None, "k1", "C1", None, "recordatorio", "email", "allow", PACK, "allowed", None),
    (BUILD, "build", "b1", None, "k1", "C1", None, "preventivo", "email", "allow", "playbook/one_message_per_day",
     "merged_into_daily_message", None),
    # The same day rebuilt at the same instant: the engine's allow again (its twin is the second one).
    (BUILD, "build", "b1", None, "k1", "C1", None, "recordatorio", "email", "allow", PACK, "allowed", None),
    (BUILD, "build", "b1", None, None, "C2", None, "escalamiento", None, "allow", "playbook/escalation",
     "escalated", None),
    # Sending: deferred at night, allowed in the morning.
    (EVENING, "send", "b1", 7, "k1", "C1", None, "recordatorio", "email", "defer", WINDOW, "outside_contact_window",
     MORNING),
    (MORNING, "send", "b1", 7, "k1", "C1", None, "recordatorio", "email", "allow", PACK, "allowed", None),
]  # fmt: skip

# (decided_at, stage, batch, outbox, key, customer, channel, invoices, verdict, rule, codes, next, sha)
POLICY_ROWS = [
    (BUILD, "build", "b1", None, "k1", "C1", "email", ["I1", "I2"], "allow", PACK, ["allowed"], None, SHA),
    (BUILD, "build", "b1", None, "k1", "C1", "email", ["I1", "I2"], "allow", PACK, ["allowed"], None, SHA),
    (EVENING, "send", "b1", 7, "k1", "C1", "email", ["I1", "I2"], "defer", WINDOW, ["outside_contact_window"],
     MORNING, None),
    (MORNING, "send", "b1", 7, "k1", "C1", "email", ["I1", "I2"], "allow", PACK, ["allowed"], None, SHA),
    # Only the engine's table had these: a preview, and a decision the campaigns did not line up.
    (BUILD, "preview", "b1", None, None, "C3", "sms", ["I5"], "deny", f"{PACK}/opt_out", ["opted_out"], None, None),
    (BUILD, "build", "b1", None, "k3", "C3", "sms", ["I5"], "deny", f"{PACK}/opt_out", ["opted_out"], None, None),
]  # fmt: skip


def _old_database(conn: psycopg.Connection[Any]) -> None:
    conn.execute(OLD_TABLES)  # type: ignore[arg-type]  # fixed DDL above
    with conn.cursor() as cur:
        cur.executemany(
            "insert into ops.contact_decisions (decided_at, stage, batch_id, outbox_id, idempotency_key, customer_id, "
            "invoice_id, step, channel, verdict, rule_id, reason_code, reason_es, reason_en, next_allowed_at) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'es: ' || %s, 'en: ' || %s, %s)",
            [(*r[:12], r[11], r[11], r[12]) for r in CONTACT_ROWS],
        )
        cur.executemany(
            "insert into ops.policy_decisions (decided_at, stage, batch_id, outbox_id, idempotency_key, customer_id, "
            "channel, invoice_ids, proposed_at, verdict, next_allowed_at, rule_pack_id, rule_pack_version, rule_id, "
            "reason_codes, reason_es, reason_en, reasons, inputs, content_sha256) "
            "values (%(at)s, %(stage)s, %(batch)s, %(outbox)s, %(key)s, %(customer)s, %(channel)s, %(invoices)s, "
            "%(at)s, %(verdict)s, %(next)s, %(pack)s, %(version)s, %(rule)s, %(codes)s, 'es', 'en', "
            "'[{\"code\": \"x\"}]', '{\"country\": \"MX\"}', %(sha)s)",
            [
                dict(
                    zip(
                        ("at", "stage", "batch", "outbox", "key", "customer", "channel", "invoices", "verdict",
                         "rule", "codes", "next", "sha"),
                        r,
                        strict=True,
                    ),
                    pack=PACK,
                    version=VERSION,
                )
                for r in POLICY_ROWS
            ],
        )  # fmt: skip


def _everything(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("select * from ops.contact_decisions order by decision_id")
        return list(cur.fetchall())


def test_the_two_old_tables_become_one_with_every_decision_once_and_a_rerun_changes_nothing(fresh_db: str) -> None:
    with psycopg.connect(fresh_db) as conn:
        _old_database(conn)
        conn.commit()
        apply_ddl(conn)
        conn.commit()
        merged = _everything(conn)
        assert conn.execute("select to_regclass('ops.policy_decisions')").fetchone() == (None,)

    # Every old line kept, in its order; the two decisions only the engine's table had, added.
    assert len(merged) == len(CONTACT_ROWS) + 2
    assert [r["reason_codes"][0] for r in merged[: len(CONTACT_ROWS)]] == [r[11] for r in CONTACT_ROWS]
    by_line = {(r["stage"], r["rule_id"], r["step"], r["decided_at"]): r for r in merged}
    # A decision in both tables is one row, with the engine's details and the campaigns' step.
    allows = [r for r in merged if r["rule_id"] == PACK and r["stage"] == "build"]
    assert len(allows) == 2  # the rebuild's pair too: paired first with first, second with second
    for row in allows:
        assert (row["step"], row["invoice_ids"], row["rule_pack_version"]) == ("recordatorio", ["I1", "I2"], VERSION)
        assert (row["reason_codes"], row["inputs"], row["content_sha256"]) == (["allowed"], {"country": "MX"}, SHA)
    deferred = by_line[("send", WINDOW, "recordatorio", EVENING)]
    assert (deferred["next_allowed_at"], deferred["outbox_id"], deferred["rule_pack_id"]) == (MORNING, 7, PACK)
    assert deferred["reason_codes"] == ["outside_contact_window"] and deferred["rule_pack_version"] == VERSION
    # A line only the campaigns wrote keeps what it said, in the new shape.
    disputed = by_line[("build", "CAMPAIGNS/invoice_disputed", "recordatorio", BUILD)]
    assert (disputed["blocked_invoice_ids"], disputed["invoice_ids"], disputed["channel"]) == (["I9"], ["I9"], None)
    assert (disputed["rule_pack_id"], disputed["rule_pack_version"]) == ("CAMPAIGNS", "unrecorded")
    assert disputed["reasons"][0]["code"] == "invoice_disputed" and disputed["reason_es"] == "es: invoice_disputed"
    learner = by_line[("build", "learning/strategy", "recordatorio", BUILD)]
    assert learner["rule_pack_id"] == "learning" and learner["blocked_invoice_ids"] == []
    added = merged[len(CONTACT_ROWS) :]
    assert [(r["stage"], r["customer_id"], r["step"]) for r in added] == [
        ("preview", "C3", None),
        ("build", "C3", None),
    ]
    assert all(r["rule_pack_version"] == VERSION for r in added)
    # Nothing doubled: each (stage, rule, instant, step) appears as often as the old lines had it.
    assert sum(1 for r in merged if r["stage"] == "send") == 2

    with psycopg.connect(fresh_db) as conn:
        apply_ddl(conn)  # the next start: a no-op
        conn.commit()
        assert _everything(conn) == merged
        assert conn.execute("select to_regclass('ops.policy_decisions')").fetchone() == (None,)
        columns = {r[0] for r in conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'ops' and table_name = 'contact_decisions'"
        ).fetchall()}  # fmt: skip
        assert {"invoice_id", "reason_code"}.isdisjoint(columns)
        with pytest.raises(psycopg.errors.CheckViolation):  # defer <=> next_allowed_at, on the migrated table too
            conn.execute(
                "insert into ops.contact_decisions (decided_at, stage, customer_id, proposed_at, verdict, rule_pack_id,"
                " rule_pack_version, rule_id, reason_codes, reason_es, reason_en) "
                "values (now(), 'preview', 'x', now(), 'defer', 'p', 'v', 'r', '{}', '', '')"
            )
