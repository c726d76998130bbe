"""The one writer of ``ops.contact_decisions`` (``cartera/sql/25_policy.sql``), and its reader per
customer: every allow, defer and deny about a message — the engine's, and those of the campaigns'
own rules (collectibility, the playbook, the learner's choice) — at build, preview and send, one
row each.

Only ids, codes, instants and the engine's inputs summary are stored (no personal data), with the
rule id and the rule-pack version that decided, so a decision can be explained long after the
pack changed. When the decision judged a rendered text, its SHA-256 (not the text) is stored, so
the exact version that was checked can be matched against the message sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from cartera.logs import get_logger
from cartera.policy.models import Candidate, Decision

log = get_logger(__name__)

_INSERT = """
insert into ops.contact_decisions (
    decided_at, stage, batch_id, outbox_id, idempotency_key, customer_id, invoice_ids, blocked_invoice_ids, step,
    channel, recipient_role, proposed_at, verdict, next_allowed_at, rule_pack_id, rule_pack_version, rule_id,
    reason_codes, reason_es, reason_en, reasons, inputs, content_sha256
) values (
    %(decided_at)s, %(stage)s, %(batch_id)s, %(outbox_id)s, %(idempotency_key)s, %(customer_id)s, %(invoice_ids)s,
    %(blocked_invoice_ids)s, %(step)s, %(channel)s, %(recipient_role)s, %(proposed_at)s, %(verdict)s,
    %(next_allowed_at)s, %(rule_pack_id)s, %(rule_pack_version)s, %(rule_id)s, %(reason_codes)s, %(reason_es)s,
    %(reason_en)s, %(reasons)s, %(inputs)s, %(content_sha256)s
)
"""

# COPY for this many rows or more: one stream instead of a statement per row (a build writes
# tens of thousands; a send writes a few, where a statement costs less than opening a COPY).
COPY_FROM = 50
_COLUMNS = (
    "decided_at", "stage", "batch_id", "outbox_id", "idempotency_key", "customer_id", "invoice_ids",
    "blocked_invoice_ids", "step", "channel", "recipient_role", "proposed_at", "verdict", "next_allowed_at",
    "rule_pack_id", "rule_pack_version", "rule_id", "reason_codes", "reason_es", "reason_en", "reasons", "inputs",
    "content_sha256",
)  # fmt: skip
_COPY_TYPES = (
    "timestamptz", "text", "text", "int8", "text", "text", "text[]", "text[]", "text", "text", "text", "timestamptz",
    "text", "timestamptz", "text", "text", "text", "text[]", "text", "text", "jsonb", "jsonb", "text",
)  # fmt: skip
_COPY = f"copy ops.contact_decisions ({', '.join(_COLUMNS)}) from stdin"

_EXPLAIN = """
select decided_at, stage, step, channel, invoice_ids, blocked_invoice_ids, proposed_at, verdict, next_allowed_at,
       rule_pack_id, rule_pack_version, rule_id, reason_codes, reason_es, reason_en, reasons, inputs, batch_id,
       outbox_id, recipient_role, content_sha256
from ops.contact_decisions
where customer_id = %(customer_id)s and decided_at >= %(since)s
order by decided_at, decision_id
"""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One decision with what the engine does not know: the message it was about (customer,
    channel — None before one was chosen —, invoices, recipient), the instant it judged
    (`proposed_at`, default `decided_at`), when and at which stage it was made, and where the
    message stands (playbook step, batch, outbox row, idempotency key)."""

    decision: Decision
    customer_id: str
    decided_at: dt.datetime
    stage: str = "build"
    channel: str | None = None
    invoice_ids: tuple[str, ...] = ()
    proposed_at: dt.datetime | None = None
    recipient_role: str = "debtor"
    step: str | None = None
    batch_id: str | None = None
    outbox_id: int | None = None
    idempotency_key: str | None = None

    @classmethod
    def of(
        cls,
        candidate: Candidate,
        decision: Decision,
        decided_at: dt.datetime,
        *,
        stage: str = "build",
        step: str | None = None,
        batch_id: str | None = None,
        outbox_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> AuditRecord:
        """The record of the engine's `decision` on `candidate`."""
        return cls(
            decision,
            candidate.customer_id,
            decided_at,
            stage=stage,
            channel=candidate.channel,
            invoice_ids=candidate.invoice_ids,
            proposed_at=candidate.proposed_at,
            recipient_role=candidate.recipient_role,
            step=step,
            batch_id=batch_id,
            outbox_id=outbox_id,
            idempotency_key=idempotency_key,
        )


def _row(record: AuditRecord) -> dict[str, Any]:
    decision = record.decision
    return {
        "decided_at": record.decided_at,
        "stage": record.stage,
        "batch_id": record.batch_id,
        "outbox_id": record.outbox_id,
        "idempotency_key": record.idempotency_key,
        "customer_id": record.customer_id,
        "invoice_ids": list(record.invoice_ids),
        "blocked_invoice_ids": list(decision.blocked_invoice_ids),
        "step": record.step,
        "channel": record.channel,
        "recipient_role": record.recipient_role,
        "proposed_at": record.proposed_at or record.decided_at,
        "verdict": decision.verdict,
        "next_allowed_at": decision.next_allowed_at,
        "rule_pack_id": decision.rule_pack_id,
        "rule_pack_version": decision.rule_pack_version,
        "rule_id": decision.rule_id,
        "reason_codes": list(decision.reason_codes) or ["allowed"],
        "reason_es": decision.reason_es,
        "reason_en": decision.reason_en,
        "reasons": Jsonb([asdict(reason) for reason in decision.reasons]),
        "inputs": Jsonb(dict(decision.inputs_summary)),
        "content_sha256": decision.content_sha256,
    }


def record_decisions(conn: psycopg.Connection[Any], records: Iterable[AuditRecord]) -> int:
    """Insert one row per record in the caller's transaction, in order (decision ids follow it);
    returns how many were written. Many rows (a build's) go in one COPY, a few in one statement."""
    rows = [_row(record) for record in records]
    if len(rows) >= COPY_FROM:
        with conn.cursor() as cur, cur.copy(_COPY) as copy:
            copy.set_types(_COPY_TYPES)
            for row in rows:
                copy.write_row([row[column] for column in _COLUMNS])
    elif rows:
        with conn.cursor() as cur:
            cur.executemany(_INSERT, rows)
    log.debug("contact decisions recorded: %d", len(rows))  # counts only, never customer data
    return len(rows)


def explain_customer(conn: psycopg.Connection[Any], customer_id: str, since: dt.datetime) -> list[dict[str, Any]]:
    """Every decision about `customer_id` since `since`, oldest first, as dicts (for a person or a UI)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_EXPLAIN, {"customer_id": customer_id, "since": since})
        return list(cur.fetchall())
