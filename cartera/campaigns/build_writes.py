"""The build's writes, gathered while it decides and written in one round per table: outbox rows,
collector tasks and contact decisions (psycopg's pipelined ``executemany`` instead of one round
trip per row).

Rows keep the order the build made them in (ids follow it), the keys are the outbox's own
(:func:`cartera.campaigns.outbox.idempotency_key`, :func:`~cartera.campaigns.outbox.escalation_key`)
and every insert is ``ON CONFLICT DO NOTHING``, as :func:`~cartera.campaigns.outbox.enqueue_message`
and :func:`~cartera.campaigns.outbox.enqueue_escalation` do one row at a time; which rows were new
is known after :meth:`BuildWrites.flush`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from cartera.campaigns import outbox
from cartera.campaigns.candidates import Candidate
from cartera.policy.audit import AuditRecord, record_decisions

_INSERT_MESSAGE = """
insert into ops.outbox (idempotency_key, batch_id, as_of_date, customer_id, invoice_ids, step, template, tone,
    channel, not_before, created_at, updated_at, steps, step_invoices)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
on conflict (idempotency_key) do nothing
returning idempotency_key
"""

_INSERT_TASK = """
insert into ops.collection_tasks (idempotency_key, batch_id, as_of_date, customer_id, invoice_ids, step,
    queue, created_at)
values (%s, %s, %s, %s, %s, %s, %s, %s)
on conflict (idempotency_key) do nothing
returning idempotency_key
"""


@dataclass
class BuildWrites:
    """The rows one build writes into `batch_id` for business day `as_of`, created at `created_at`."""

    batch_id: str
    as_of: dt.date
    created_at: dt.datetime
    decisions: list[AuditRecord] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    tasks: list[tuple[Any, ...]] = field(default_factory=list)

    def decision(self, record: AuditRecord) -> None:
        self.decisions.append(record)

    def message(
        self,
        candidate: Candidate,
        not_before: dt.datetime,
        *,
        steps: Sequence[str] = (),
        step_invoices: Iterable[str] | None = None,
    ) -> str:
        """The candidate's outbox row (as :func:`cartera.campaigns.outbox.enqueue_message` writes
        it); returns its key."""
        if candidate.channel is None or candidate.step.template is None:
            raise ValueError("only a message candidate with a channel can be enqueued")
        key = outbox.idempotency_key(candidate.customer_id, candidate.channel, self.as_of)
        if step_invoices is None:
            step_invoices = [f"{candidate.step.name}:{invoice}" for invoice in candidate.invoice_ids]
        step = candidate.step
        self.messages.append(
            (key, self.batch_id, self.as_of, candidate.customer_id, list(candidate.invoice_ids), step.name,
             step.template, step.tone, candidate.channel, not_before, self.created_at, self.created_at,
             list(steps) or [step.name], list(step_invoices))
        )  # fmt: skip
        return key

    def escalation(self, candidate: Candidate) -> str:
        """The candidate's collector task (as :func:`cartera.campaigns.outbox.enqueue_escalation`
        writes it); returns its key."""
        queue = candidate.step.queue or "cobranza_manual"
        key = outbox.escalation_key(
            candidate.customer_id, candidate.invoice_ids, candidate.step.name, queue, self.as_of
        )
        self.tasks.append(
            (key, self.batch_id, self.as_of, candidate.customer_id, list(candidate.invoice_ids), candidate.step.name,
             queue, self.created_at)
        )  # fmt: skip
        return key

    def flush_decisions(self, conn: psycopg.Connection) -> int:
        """Write the decisions gathered so far (before anything else writes decisions, so the
        audit keeps the order they were taken in)."""
        written = record_decisions(conn, self.decisions)
        self.decisions.clear()
        return written

    def flush(self, conn: psycopg.Connection) -> tuple[set[str], set[str]]:
        """Write everything gathered; returns the keys of the (outbox rows, tasks) that were new."""
        tasks = _insert(conn, _INSERT_TASK, self.tasks)
        messages = _insert(conn, _INSERT_MESSAGE, self.messages)
        self.flush_decisions(conn)
        self.tasks.clear()
        self.messages.clear()
        return messages, tasks


def _insert(conn: psycopg.Connection, statement: str, rows: list[tuple[Any, ...]]) -> set[str]:
    """Run `statement` for every row in one pipelined round; the keys it returned (new rows)."""
    inserted: set[str] = set()
    if not rows:
        return inserted
    with conn.cursor() as cur:
        cur.executemany(statement, rows, returning=True)  # type: ignore[arg-type]  # constant statements
        while True:
            inserted.update(str(r[0]) for r in cur.fetchall())
            if not cur.nextset():
                break
    return inserted
