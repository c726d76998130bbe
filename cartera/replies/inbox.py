"""Reading stored replies back: what `cartera why` shows for a customer, and the SMS opt-out
confirmations the dispatcher owes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class ReplyRecord:
    """One stored reply. `text` is personal data: None unless asked for (a collector's screen)."""

    reply_id: int
    received_at: dt.datetime
    channel: str
    customer_id: str | None
    outbox_id: int | None
    classification: str
    route: str
    rule: str
    promise_date: dt.date | None
    confirmation_due: bool
    text: str | None = None

    def __repr__(self) -> str:  # keep the text out of logs and tracebacks
        return f"ReplyRecord(reply_id={self.reply_id}, classification={self.classification!r}, route={self.route!r})"


def replies_for_customer(
    conn: psycopg.Connection, customer_id: str, since: dt.datetime | None = None, *, include_text: bool = False
) -> list[ReplyRecord]:
    """The customer's replies received at or after `since` (all when None), oldest first."""
    rows = conn.execute(
        """
        select reply_id, received_at, channel, customer_id, outbox_id, classification, route, rule, promise_date,
               confirmation_due, case when %(text)s then text end
        from ops.inbound_replies
        where customer_id = %(customer)s and (%(since)s::timestamptz is null or received_at >= %(since)s)
        order by received_at, reply_id
        """,
        {"customer": customer_id, "since": since, "text": include_text},
    ).fetchall()
    return [
        ReplyRecord(
            reply_id=int(r[0]),
            received_at=r[1],
            channel=str(r[2]),
            customer_id=r[3],
            outbox_id=r[4],
            classification=str(r[5]),
            route=str(r[6]),
            rule=str(r[7]),
            promise_date=r[8],
            confirmation_due=bool(r[9]),
            text=r[10],
        )
        for r in rows
    ]


def confirmations_due(conn: psycopg.Connection, channel: str = "sms") -> list[tuple[int, str, dt.datetime]]:
    """(reply id, customer id, received at) of opt-outs whose one confirmation is not sent yet."""
    rows = conn.execute(
        "select reply_id, customer_id, received_at from ops.inbound_replies "
        "where confirmation_due and confirmation_sent_at is null and channel = %s and customer_id is not null "
        "order by received_at, reply_id",
        (channel,),
    ).fetchall()
    return [(int(r[0]), str(r[1]), r[2]) for r in rows]


def mark_confirmation_sent(conn: psycopg.Connection, reply_id: int, at: dt.datetime) -> None:
    """Record that the opt-out confirmation of this reply went out (sent once, never again)."""
    conn.execute(
        "update ops.inbound_replies set confirmation_sent_at = %s where reply_id = %s and confirmation_sent_at is null",
        (at, reply_id),
    )
