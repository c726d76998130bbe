"""Acting on a reply: store it once, read it (:func:`cartera.replies.classify.classify`), and
write what it means, all in the caller's transaction:

* **opt_out** → ops.opt_outs for that channel at once (source 'reply'), for every customer the
  sender is a contact of. An SMS opt-out owes one confirmation message: the reply row says
  ``confirmation_due`` and the dispatcher sends it (nothing is sent from here). When Twilio's
  own opt-out handling already answered (``OptOutType`` present) none is due.
* **payment_reported** / **dispute** → a hold of that reason on each invoice of the message
  replied to (the whole customer when the message is unknown) and a collector task.
* **promise_to_pay** with a date within 90 days → a hold until the end of that day in the
  debtor's zone, naming the reply; out of range → the collector's inbox.
* **unknown** → a task in the collector's 'inbox' queue; no hold, no opt-out.

A reply whose sender matches no customer is kept with route 'unmatched' (no customer to hold or
opt out). A redelivered reply (same provider message id) changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg

from cartera.logs import get_logger
from cartera.receiver.events import MessageEvent, personal_hash
from cartera.receiver.store import add_opt_out, insert_event
from cartera.replies.classify import Reading, classify
from cartera.replies.matching import Match, customer_zone, match_sender
from cartera.run_dates import BOOKS_TZ

_log = get_logger(__name__)

TASK_QUEUES = {"payment_reported": "payment_reported", "dispute": "dispute", "inbox": "inbox"}


@dataclass(frozen=True)
class InboundMessage:
    """A reply as a provider delivered it. Holds personal data (sender, text): never log it."""

    provider: str  # 'sendgrid' or 'twilio'
    provider_message_id: str  # Twilio MessageSid; for e-mail, a hash of the Message-ID header
    channel: str  # 'email', 'sms' or 'whatsapp'
    sender: str  # e-mail address or E.164 number
    text: str
    references: tuple[str, ...] = ()  # our provider message ids named by In-Reply-To / References
    provider_opt_out: bool = False  # Twilio recognised an opt-out keyword (OptOutType=STOP)
    payload: Mapping[str, Any] = field(default_factory=dict)  # already scrubbed of personal data

    def __repr__(self) -> str:
        return f"InboundMessage(provider={self.provider!r}, channel={self.channel!r})"


@dataclass(frozen=True)
class ReplyOutcome:
    """What one stored reply did (ids and codes only)."""

    reply_id: int
    customer_id: str | None
    classification: str
    route: str
    rule: str
    promise_date: dt.date | None
    hold_ids: tuple[int, ...]
    task_id: int | None
    opt_outs: int
    confirmation_due: bool


def _task_key(message: InboundMessage) -> str:
    digest = hashlib.sha256(f"{message.provider}:{message.provider_message_id}".encode()).hexdigest()
    return f"reply:{digest[:32]}"


def _open_holds(
    conn: psycopg.Connection,
    reply_id: int,
    customer_id: str,
    invoice_ids: tuple[str, ...],
    reason: str,
    at: dt.datetime,
    until: dt.datetime | None,
) -> tuple[int, ...]:
    ids: list[int] = []
    for invoice_id in invoice_ids or (None,):
        row = conn.execute(
            "insert into ops.holds (customer_id, invoice_id, reason, opened_at, until, note, reply_id) "
            "values (%s, %s, %s, %s, %s, %s, %s) returning hold_id",
            (customer_id, invoice_id, reason, at, until, f"reply {reply_id}", reply_id),
        ).fetchone()
        assert row is not None
        ids.append(int(row[0]))
    return tuple(ids)


def _open_task(
    conn: psycopg.Connection,
    message: InboundMessage,
    reply_id: int,
    customer_id: str,
    invoice_ids: tuple[str, ...],
    classification: str,
    queue: str,
    at: dt.datetime,
) -> int | None:
    row = conn.execute(
        """
        insert into ops.collection_tasks (idempotency_key, batch_id, as_of_date, customer_id, invoice_ids, step,
            queue, status, created_at, reply_id)
        values (%s, null, %s, %s, %s, %s, %s, 'open', %s, %s)
        on conflict (idempotency_key) do nothing
        returning task_id
        """,
        (
            _task_key(message),
            at.astimezone(BOOKS_TZ).date(),
            customer_id,
            list(invoice_ids),
            f"reply_{classification}",
            queue,
            at,
            reply_id,
        ),
    ).fetchone()
    return int(row[0]) if row else None


def _reading(message: InboundMessage, match: Match, local_time: dt.datetime) -> Reading:
    if message.provider_opt_out:
        return Reading("opt_out", "opt_out", "provider.opt_out_type")
    return classify(message.text, local_time)


def receive_reply(conn: psycopg.Connection, message: InboundMessage, received_at: dt.datetime) -> ReplyOutcome | None:
    """Store and act on one reply (see the module docstring). None when it was stored before."""
    match = match_sender(
        conn,
        channel=message.channel,
        sender=message.sender,
        references=message.references,
        received_at=received_at,
    )
    event = MessageEvent(
        provider=message.provider,
        provider_event_id=f"inbound:{message.provider_message_id}",
        event_type="inbound",
        provider_event_type="inbound",
        channel=message.channel,
        occurred_at=received_at,
        provider_message_id=message.provider_message_id,
        outbox_id=None,
        idempotency_key=None,
        payload=dict(message.payload),
    )
    event_id = insert_event(conn, event, received_at=received_at, outbox=match.outbox, customer_id=match.customer_id)
    if event_id is None:
        return None
    customer_id = match.customer_id
    local_time = received_at.astimezone(customer_zone(conn, customer_id))
    reading = _reading(message, match, local_time)
    route: str = reading.route
    if not match.customer_ids or (route != "opt_out" and customer_id is None):
        route = "unmatched"
    confirmation_due = route == "opt_out" and message.channel == "sms" and not message.provider_opt_out
    row = conn.execute(
        """
        insert into ops.inbound_replies (provider, provider_message_id, channel, received_at, customer_id, matched_by,
            outbox_id, classification, route, rule, promise_date, confirmation_due, text, sender_sha256, event_id)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (provider, provider_message_id) do nothing
        returning reply_id
        """,
        (
            message.provider,
            message.provider_message_id,
            message.channel,
            received_at,
            customer_id,
            match.matched_by,
            match.outbox.outbox_id if match.outbox else None,
            reading.classification,
            route,
            reading.rule,
            reading.promise_date,
            confirmation_due,
            message.text[:10_000],
            personal_hash(message.sender) if message.sender else None,
            event_id,
        ),
    ).fetchone()
    if row is None:
        return None
    reply_id = int(row[0])
    invoice_ids = match.outbox.invoice_ids if match.outbox else ()
    hold_ids: tuple[int, ...] = ()
    task_id: int | None = None
    opt_outs = 0
    if route == "opt_out":
        opt_outs = sum(add_opt_out(conn, c, message.channel, received_at, "reply") for c in match.customer_ids)
    elif route == "hold" and customer_id is not None:
        until = None
        if reading.classification == "promise_to_pay" and reading.promise_date is not None:
            # reminders wait through the promised day, in the debtor's zone
            next_day = reading.promise_date + dt.timedelta(days=1)
            until = dt.datetime.combine(next_day, dt.time(0), tzinfo=local_time.tzinfo)
        hold_ids = _open_holds(conn, reply_id, customer_id, invoice_ids, reading.classification, received_at, until)
        if reading.classification in ("payment_reported", "dispute"):
            queue = TASK_QUEUES[reading.classification]
            task_id = _open_task(
                conn, message, reply_id, customer_id, invoice_ids, reading.classification, queue, received_at
            )
    elif route == "inbox" and customer_id is not None:
        task_id = _open_task(
            conn, message, reply_id, customer_id, invoice_ids, reading.classification, "inbox", received_at
        )
    _log.info(
        "reply %s: %s via %s (%s), holds=%d task=%s opt_outs=%d",
        reply_id,
        reading.classification,
        route,
        reading.rule,
        len(hold_ids),
        task_id,
        opt_outs,
    )
    return ReplyOutcome(
        reply_id=reply_id,
        customer_id=customer_id,
        classification=reading.classification,
        route=route,
        rule=reading.rule,
        promise_date=reading.promise_date,
        hold_ids=hold_ids,
        task_id=task_id,
        opt_outs=opt_outs,
        confirmation_due=confirmation_due,
    )
