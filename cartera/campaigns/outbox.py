"""The outbox (ops.outbox): one row per message, keyed by a deterministic idempotency key, and
the writes around it (batches, escalations, status changes). The decisions about each message go
to ``ops.contact_decisions`` through :func:`cartera.policy.audit.record_decisions`.

Idempotency: a message's key is sha256 of (customer, channel, business day): one message per
customer per day, whatever steps and invoices it covers (an escalation's key is still over its
invoice set and step). Inserts use ``ON CONFLICT DO NOTHING`` on its unique constraint, so
rebuilding a day's batch, or two builders racing, never creates a second row.

Status of a row (docs/reliability.md has the whole picture)::

    pending ─claim─▶ sending ─▶ sent | cancelled | deferred | failed (retried) | unknown
    unknown ─reconcile─▶ sent (the provider has it) | review (no confirmation in the window)
    sending past its lease ─▶ unknown (an attempt had started) | pending (none had)

:func:`claim_due` moves rows to ``sending`` with a lease in its own committed transaction
(``FOR UPDATE SKIP LOCKED``) before any network call; only pending, deferred, or failed rows
with attempts left are ever claimed. Nothing here resends an ``unknown`` or ``review`` row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg

from cartera.campaigns.candidates import Candidate

# Bump only with a migration: the key is stored and compared. v2 (one message per customer per
# day) keys (customer, channel, day); v1 rows keep their keys, and the steps they fired stay
# covered (candidates.load_covered), so no v1 message is rebuilt under a v2 key.
KEY_VERSION = "v2"
ESCALATION_KEY_VERSION = "v1"  # escalations still key their invoice set and step: unchanged


def _sha256(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def idempotency_key(customer_id: str, channel: str, day: dt.date) -> str:
    """sha256 hex of (customer, channel, business day): the customer's one message of the day."""
    return _sha256(KEY_VERSION, customer_id, channel, day.isoformat())


def escalation_key(customer_id: str, invoice_ids: Iterable[str], step: str, queue: str, day: dt.date) -> str:
    """sha256 hex of (customer, invoice set, step, queue, day); invoice order does not matter."""
    invoices = ",".join(sorted(set(invoice_ids)))
    return _sha256(ESCALATION_KEY_VERSION, customer_id, invoices, step, f"queue:{queue}", day.isoformat())


def batch_id_for(as_of: dt.date) -> str:
    """The batch of a business date (one per day; rebuilding reuses it)."""
    return f"campaign-{as_of.isoformat()}"


@dataclass(frozen=True)
class OutboxRow:
    """A claimed outbox row, as dispatch needs it."""

    outbox_id: int
    idempotency_key: str
    batch_id: str
    as_of_date: dt.date
    customer_id: str
    invoice_ids: tuple[str, ...]
    step: str
    template: str
    tone: str
    channel: str
    attempts: int
    lease_until: dt.datetime | None = None


def open_batch(conn: psycopg.Connection, as_of: dt.date, playbook_version: str, planned_at: dt.datetime) -> str:
    """Make sure the day's row exists in ops.campaign_batches (rows reference it); returns its id."""
    batch_id = batch_id_for(as_of)
    conn.execute(
        """
        insert into ops.campaign_batches (batch_id, as_of_date, playbook_version, planned_at, candidates, enqueued,
            escalated, denied, deferred, builds, last_built_at)
        values (%s, %s, %s, %s, 0, 0, 0, 0, 0, 0, %s)
        on conflict (batch_id) do nothing
        """,
        (batch_id, as_of, playbook_version, planned_at, planned_at),
    )
    return batch_id


def close_batch(
    conn: psycopg.Connection, batch_id: str, playbook_version: str, planned_at: dt.datetime, counts: dict[str, int]
) -> None:
    """Store the counts of this build (the last build's, not a running total) and count it."""
    conn.execute(
        """
        update ops.campaign_batches set playbook_version = %(version)s, candidates = %(candidates)s,
            enqueued = %(enqueued)s, escalated = %(escalated)s, denied = %(denied)s, deferred = %(deferred)s,
            builds = builds + 1, last_built_at = %(planned_at)s
        where batch_id = %(batch_id)s
        """,
        {"batch_id": batch_id, "version": playbook_version, "planned_at": planned_at, **counts},
    )


def enqueue_message(
    conn: psycopg.Connection,
    batch_id: str,
    as_of: dt.date,
    candidate: Candidate,
    not_before: dt.datetime,
    created_at: dt.datetime,
    *,
    steps: Iterable[str] = (),
    step_invoices: Iterable[str] | None = None,
) -> tuple[str, bool]:
    """Insert the candidate's outbox row unless its key exists. Returns (key, inserted).

    `steps` names the due steps the message covers (default: its own step); `step_invoices` the
    'step:invoice_id' pairs it fires (default: its step for every invoice it lists)."""
    if candidate.channel is None or candidate.step.template is None:
        raise ValueError("only a message candidate with a channel can be enqueued")
    key = idempotency_key(candidate.customer_id, candidate.channel, as_of)
    if step_invoices is None:
        step_invoices = [f"{candidate.step.name}:{invoice}" for invoice in candidate.invoice_ids]
    cur = conn.execute(
        """
        insert into ops.outbox (idempotency_key, batch_id, as_of_date, customer_id, invoice_ids, step, template, tone,
            channel, not_before, created_at, updated_at, steps, step_invoices)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (idempotency_key) do nothing
        """,
        (
            key,
            batch_id,
            as_of,
            candidate.customer_id,
            list(candidate.invoice_ids),
            candidate.step.name,
            candidate.step.template,
            candidate.step.tone,
            candidate.channel,
            not_before,
            created_at,
            created_at,
            list(steps) or [candidate.step.name],
            list(step_invoices),
        ),
    )
    return key, cur.rowcount == 1


def enqueue_escalation(
    conn: psycopg.Connection, batch_id: str, as_of: dt.date, candidate: Candidate, created_at: dt.datetime
) -> tuple[str, bool]:
    """Put an escalation in the collector's queue (ops.collection_tasks) unless already there."""
    queue = candidate.step.queue or "cobranza_manual"
    key = escalation_key(candidate.customer_id, candidate.invoice_ids, candidate.step.name, queue, as_of)
    cur = conn.execute(
        """
        insert into ops.collection_tasks (idempotency_key, batch_id, as_of_date, customer_id, invoice_ids, step,
            queue, created_at)
        values (%s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (idempotency_key) do nothing
        """,
        (
            key,
            batch_id,
            as_of,
            candidate.customer_id,
            list(candidate.invoice_ids),
            candidate.step.name,
            queue,
            created_at,
        ),
    )
    return key, cur.rowcount == 1


def has_due(conn: psycopg.Connection, now: dt.datetime, *, max_attempts: int) -> bool:
    """Whether any row is due at `now` (checked before building a channel, so a dispatch with
    nothing to send needs no provider credentials)."""
    row = conn.execute(
        "select exists (select 1 from ops.outbox o where not_before <= %s "
        "and (status in ('pending', 'deferred') or (status = 'failed' and attempts < %s)) "
        "and not exists (select 1 from ops.batch_approvals ba where ba.batch_id = o.batch_id and ba.status <> 'approved'))",
        (now, max_attempts),
    ).fetchone()
    return bool(row and row[0])


def _rows(records: list[tuple[Any, ...]]) -> list[OutboxRow]:
    claimed = [
        OutboxRow(
            int(r[0]),
            str(r[1]),
            str(r[2]),
            r[3],
            str(r[4]),
            tuple(r[5]),
            str(r[6]),
            str(r[7]),
            str(r[8]),
            str(r[9]),
            int(r[10]),
            r[11],
        )
        for r in records
    ]
    return sorted(claimed, key=lambda row: row.outbox_id)


def claim_due(
    conn: psycopg.Connection,
    now: dt.datetime,
    *,
    limit: int,
    max_attempts: int,
    lease: dt.timedelta = dt.timedelta(minutes=5),
    channels: Iterable[str] | None = None,
) -> list[OutboxRow]:
    """Move up to `limit` due rows (pending, deferred, or failed with attempts left; on
    `channels` if given) to ``sending`` with a lease until ``now + lease``, and return them.
    Commits, so other dispatchers skip them from then on."""
    rows = conn.execute(
        """
        with due as (
            select o.outbox_id from ops.outbox o
            where not_before <= %(now)s
              and not exists (select 1 from ops.batch_approvals ba where ba.batch_id = o.batch_id and ba.status <> 'approved')
              and (status in ('pending', 'deferred') or (status = 'failed' and attempts < %(max_attempts)s))
              and (%(channels)s::text[] is null or channel = any(%(channels)s::text[]))
            order by not_before, outbox_id
            for update of o skip locked
            limit %(limit)s
        )
        update ops.outbox o set status = 'sending', attempts = o.attempts + 1, claimed_at = %(now)s,
            lease_until = %(lease_until)s, updated_at = %(now)s
        from due where o.outbox_id = due.outbox_id
        returning o.outbox_id, o.idempotency_key, o.batch_id, o.as_of_date, o.customer_id, o.invoice_ids, o.step,
            o.template, o.tone, o.channel, o.attempts, o.lease_until
        """,
        {
            "now": now,
            "limit": limit,
            "max_attempts": max_attempts,
            "lease_until": now + lease,
            "channels": sorted(channels) if channels is not None else None,
        },
    ).fetchall()
    conn.commit()
    return _rows(rows)


def release(conn: psycopg.Connection, outbox_id: int, now: dt.datetime, not_before: dt.datetime, reason: str) -> None:
    """Give a claimed row back untouched (no attempt counted): a stopped batch, an open circuit."""
    release_many(conn, [outbox_id], now, not_before, reason)


def release_many(
    conn: psycopg.Connection, outbox_ids: list[int], now: dt.datetime, not_before: dt.datetime, reason: str
) -> int:
    """:func:`release` for many rows in one statement; returns how many were still ``sending``."""
    return conn.execute(
        "update ops.outbox set status = 'pending', not_before = greatest(not_before, %s), status_reason = %s, "
        "attempts = greatest(attempts - 1, 0), lease_until = null, updated_at = %s "
        "where outbox_id = any(%s) and status = 'sending'",
        (not_before, reason, now, outbox_ids),
    ).rowcount


def mark_sent(
    conn: psycopg.Connection,
    outbox_id: int,
    now: dt.datetime,
    provider_message_id: str | None,
    *,
    sent_at: dt.datetime | None = None,
    from_statuses: tuple[str, ...] = ("sending",),
) -> None:
    """The provider accepted the message; `sent_at` is the instant the request left (default `now`)."""
    conn.execute(
        "update ops.outbox set status = 'sent', sent_at = %s, provider_message_id = coalesce(%s, provider_message_id), "
        "status_reason = null, last_error = null, lease_until = null, updated_at = %s "
        "where outbox_id = %s and status = any(%s)",
        (sent_at or now, provider_message_id, now, outbox_id, list(from_statuses)),
    )


def mark_sent_many(
    conn: psycopg.Connection,
    sent: list[tuple[int, dt.datetime]],
    now: dt.datetime,
    provider_message_id: str | None,
) -> None:
    """:func:`mark_sent` for the (outbox_id, sent_at) rows of one accepted request, in one statement."""
    if not sent:
        return
    conn.execute(
        "update ops.outbox o set status = 'sent', sent_at = s.sent_at, "
        "provider_message_id = coalesce(%s, o.provider_message_id), status_reason = null, last_error = null, "
        "lease_until = null, updated_at = %s "
        "from unnest(%s::bigint[], %s::timestamptz[]) as s(outbox_id, sent_at) "
        "where o.outbox_id = s.outbox_id and o.status = 'sending'",
        (provider_message_id, now, [i for i, _ in sent], [at for _, at in sent]),
    )


def count_due(conn: psycopg.Connection, now: dt.datetime, *, max_attempts: int) -> int:
    """How many rows are due at `now` (for the progress log's time left)."""
    row = conn.execute(
        "select count(*) from ops.outbox o where not_before <= %s "
        "and (status in ('pending', 'deferred') or (status = 'failed' and attempts < %s)) "
        "and not exists (select 1 from ops.batch_approvals ba where ba.batch_id = o.batch_id and ba.status <> 'approved')",
        (now, max_attempts),
    ).fetchone()
    return int(row[0]) if row else 0


def mark_unknown(conn: psycopg.Connection, outbox_id: int, now: dt.datetime, error: str) -> None:
    """The request may have reached the provider: never resend before reconciliation."""
    conn.execute(
        "update ops.outbox set status = 'unknown', last_error = %s, lease_until = null, updated_at = %s "
        "where outbox_id = %s and status = 'sending'",
        (error[:500], now, outbox_id),
    )


def mark_review(conn: psycopg.Connection, outbox_id: int, now: dt.datetime, reason: str) -> None:
    """No confirmation inside the reconciliation window: held for a person (never resent by itself)."""
    conn.execute(
        "update ops.outbox set status = 'review', status_reason = %s, updated_at = %s "
        "where outbox_id = %s and status = 'unknown'",
        (reason, now, outbox_id),
    )


def mark_cancelled(conn: psycopg.Connection, outbox_id: int, now: dt.datetime, reason_code: str) -> None:
    conn.execute(
        "update ops.outbox set status = 'cancelled', status_reason = %s, lease_until = null, updated_at = %s "
        "where outbox_id = %s and status = 'sending'",
        (reason_code, now, outbox_id),
    )


def mark_deferred(
    conn: psycopg.Connection, outbox_id: int, now: dt.datetime, next_allowed_at: dt.datetime, reason_code: str
) -> None:
    # A deferral is not a failed attempt: give the attempt back so deferrals never exhaust retries.
    conn.execute(
        "update ops.outbox set status = 'deferred', not_before = %s, status_reason = %s, lease_until = null, "
        "attempts = greatest(attempts - 1, 0), updated_at = %s where outbox_id = %s and status = 'sending'",
        (next_allowed_at, reason_code, now, outbox_id),
    )


def mark_failed(
    conn: psycopg.Connection, outbox_id: int, now: dt.datetime, error: str, retry_at: dt.datetime, *, give_up: bool
) -> None:
    """Record a send the provider certainly did not accept (error: a code or status, never a
    payload) and when to retry; with `give_up` (a permanent error) the row is never claimed
    again (attempts set very high)."""
    conn.execute(
        "update ops.outbox set status = 'failed', last_error = %s, not_before = %s, updated_at = %s, "
        "lease_until = null, attempts = case when %s then greatest(attempts, 1000) else attempts end "
        "where outbox_id = %s and status = 'sending'",
        (error[:500], retry_at, now, give_up, outbox_id),
    )


def expired_leases(conn: psycopg.Connection, now: dt.datetime) -> list[tuple[int, bool]]:
    """Rows left in ``sending`` past their lease (a dispatcher crashed, was killed or lost its
    database), each with whether an attempt's request may have left (locked; the caller
    commits). An attempt still ``prepared`` (attempts.PREPARED) never had its request made."""
    rows = conn.execute(
        """
        select o.outbox_id,
               exists (select 1 from ops.send_attempts a where a.outbox_id = o.outbox_id and a.finished_at is null
                       and a.error_code is distinct from 'prepared')
        from ops.outbox o
        where o.status = 'sending' and coalesce(o.lease_until, o.claimed_at + interval '5 minutes') < %s
        order by o.outbox_id
        for update of o skip locked
        """,
        (now,),
    ).fetchall()
    return [(int(r[0]), bool(r[1])) for r in rows]


def load_rows(conn: psycopg.Connection, status: str, *, limit: int = 1000) -> list[OutboxRow]:
    """Rows in `status` (for reconciliation), locked so two dispatchers do not both handle one."""
    rows = conn.execute(
        "select o.outbox_id, o.idempotency_key, o.batch_id, o.as_of_date, o.customer_id, o.invoice_ids, o.step, "
        "o.template, o.tone, o.channel, o.attempts, o.lease_until from ops.outbox o where o.status = %s "
        "order by o.outbox_id limit %s for update skip locked",
        (status, limit),
    ).fetchall()
    return _rows(rows)
