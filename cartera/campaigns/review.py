"""A person's decisions on messages nobody could confirm (status ``review``, docs/reliability.md).

The dispatcher never resends a message that may have reached the provider. When reconciliation
found no trace within its window, a person looks the message up in the provider's console and
says what happened:

* :func:`confirm_sent`: it went (the row becomes ``sent`` at its attempt's instant);
* :func:`release`: it did not (the row goes back to ``pending``; the law is checked again at
  its send, and a reminder that is no longer due is cancelled there).

Both refuse a row that is not in review, and record who decided and when.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class ReviewRow:
    outbox_id: int
    customer_id: str
    channel: str
    step: str
    as_of_date: dt.date
    last_error: str | None
    attempt_started_at: dt.datetime | None


def list_review(conn: psycopg.Connection, *, status: str = "review", limit: int = 100) -> list[ReviewRow]:
    rows = conn.execute(
        """
        select o.outbox_id, o.customer_id, o.channel, o.step, o.as_of_date, o.last_error,
               (select max(a.started_at) from ops.send_attempts a where a.outbox_id = o.outbox_id)
        from ops.outbox o where o.status = %s order by o.outbox_id limit %s
        """,
        (status, limit),
    ).fetchall()
    return [ReviewRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4], r[5], r[6]) for r in rows]


def confirm_sent(conn: psycopg.Connection, outbox_id: int, by: str, at: dt.datetime) -> bool:
    """The message went: ``sent`` at the instant its last attempt left. False if not in review."""
    cur = conn.execute(
        """
        update ops.outbox o set status = 'sent',
            sent_at = coalesce((select max(a.started_at) from ops.send_attempts a where a.outbox_id = o.outbox_id), %s),
            status_reason = %s, updated_at = %s
        where o.outbox_id = %s and o.status = 'review'
        """,
        (at, f"confirmed_sent_by:{by}"[:200], at, outbox_id),
    )
    return cur.rowcount == 1


def release(conn: psycopg.Connection, outbox_id: int, by: str, at: dt.datetime) -> bool:
    """The message did not go: back to ``pending`` (checked again at its send). False if not in review."""
    cur = conn.execute(
        "update ops.outbox set status = 'pending', status_reason = %s, attempts = 0, updated_at = %s "
        "where outbox_id = %s and status = 'review'",
        (f"released_by:{by}"[:200], at, outbox_id),
    )
    return cur.rowcount == 1
