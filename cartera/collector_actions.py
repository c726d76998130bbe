"""What a collector records about a customer, shared by the CLI (`cartera hold`, `cartera opt-out`)
and the dashboard's workspace, so both write the same tables the same way.

Every function resolves the customer (and invoice) references first with :mod:`cartera.resolve`
and writes in the caller's transaction: an unknown, ambiguous or another customer's reference
raises BadInputError and writes nothing. Holds go to ``ops.holds`` and opt-outs to
``ops.opt_outs`` (what the contact policy reads before every build and every send); each action
is also logged in ``ops.collector_activity`` with who recorded it and when. Calls and notes live
only in that log.

Instants are passed in (``at``, timezone-aware); nothing here reads the clock. Notes are short
free text and are refused when they look like personal data (see :func:`clean_note`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, get_args

import psycopg

from cartera.errors import BadInputError
from cartera.resolve import resolve_customer, resolve_invoice
from cartera.run_dates import BOOKS_TZ

# The reasons a person may give for a hold (ops.holds.reason; the CLI, the workspace and the replies
# use this list). The anomaly review adds `fraud_review` by itself (cartera/sql/70_anomalies.sql);
# the contact check maps each reason to the engine's hold kind.
HoldReason = Literal["dispute", "promise_to_pay", "payment_reported", "legal", "manual"]
OptOutChannel = Literal["email", "sms", "whatsapp", "all"]
OptOutSource = Literal["reply", "call", "manual"]
CallOutcome = Literal["reached", "no_answer", "promise", "dispute", "payment_reported", "wrong_number", "callback"]
HOLD_REASONS: tuple[str, ...] = get_args(HoldReason)
OPT_OUT_CHANNELS: tuple[str, ...] = get_args(OptOutChannel)
CALL_OUTCOMES: tuple[str, ...] = get_args(CallOutcome)
NOTE_MAX_LENGTH = 500
_LATEST = dt.date(2100, 12, 31)


@dataclass(frozen=True)
class Recorded:
    """What was written: the customer's internal id, the invoice's if one was named, and the id of
    the hold (or of the activity row for calls and notes)."""

    customer_id: str
    invoice_id: str | None
    row_id: int


def hold_until_range(reason: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days a hold's last day may take: after today (in the books' zone) and, for a promise to
    pay, at most a year ahead (a promise further out is no promise: that is a manual hold)."""
    earliest = today + dt.timedelta(days=1)
    latest = min(today + dt.timedelta(days=366), _LATEST) if reason == "promise_to_pay" else _LATEST
    return earliest, latest


def end_of_day(day: dt.date) -> dt.datetime:
    """The end of ``day`` in the books' zone (the engine adds the rule pack's grace to it)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=BOOKS_TZ)


def clean_note(text: str | None) -> str | None:
    """A note without surrounding spaces (None when empty), or BadInputError when it is too long,
    holds control characters or reads like personal data (the CLI's rule, cli_guard.free_text)."""
    import typer

    from cartera.cli_guard import free_text

    if text is None or not text.strip():
        return None
    try:
        return free_text(text, "note", max_length=NOTE_MAX_LENGTH)
    except typer.BadParameter as exc:
        raise BadInputError(f"the note {exc.message}") from None


def _aware(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    return at


def _log(
    conn: psycopg.Connection,
    *,
    at: dt.datetime,
    by: str,
    customer_id: str,
    invoice_id: str | None,
    kind: str,
    outcome: str | None = None,
    promised_date: dt.date | None = None,
    hold_id: int | None = None,
    note: str | None = None,
) -> int:
    row = conn.execute(
        "insert into ops.collector_activity (recorded_at, recorded_by, customer_id, invoice_id, kind, outcome, "
        "promised_date, hold_id, note) values (%s, %s, %s, %s, %s, %s, %s, %s, %s) returning activity_id",
        (_aware(at), by[:64] or "unknown", customer_id, invoice_id, kind, outcome, promised_date, hold_id, note),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _resolve(conn: psycopg.Connection, customer: str, invoice: str | None) -> tuple[str, str | None]:
    customer_id = resolve_customer(conn, customer)
    invoice_id = resolve_invoice(conn, invoice, customer_id=customer_id).invoice_id if invoice else None
    return customer_id, invoice_id


def open_hold(
    conn: psycopg.Connection,
    customer: str,
    reason: HoldReason,
    *,
    at: dt.datetime,
    by: str,
    invoice: str | None = None,
    until: dt.date | None = None,
    note: str | None = None,
) -> Recorded:
    """Stop reminders to a customer (or one invoice) from ``at``; with ``until``, until the end of
    that day in the books' zone (for a promise to pay: the promised date). ``until`` must lie in
    :func:`hold_until_range` of ``at``'s day."""
    if reason not in HOLD_REASONS:
        raise BadInputError(f"unknown hold reason; one of {', '.join(HOLD_REASONS)}")
    if until is not None:
        earliest, latest = hold_until_range(reason, _aware(at).astimezone(BOOKS_TZ).date())
        if not earliest <= until <= latest:
            raise BadInputError(f"the last day {until} is out of range: from {earliest} to {latest}")
    text = clean_note(note)
    customer_id, invoice_id = _resolve(conn, customer, invoice)
    row = conn.execute(
        "insert into ops.holds (customer_id, invoice_id, reason, opened_at, until, note) "
        "values (%s, %s, %s, %s, %s, %s) returning hold_id",
        (customer_id, invoice_id, reason, _aware(at), end_of_day(until) if until else None, text),
    ).fetchone()
    assert row is not None
    hold_id = int(row[0])
    kind = {"promise_to_pay": "promise", "dispute": "dispute_opened"}.get(reason, "hold")
    _log(
        conn,
        at=at,
        by=by,
        customer_id=customer_id,
        invoice_id=invoice_id,
        kind=kind,
        outcome=reason,
        promised_date=until if reason == "promise_to_pay" else None,
        hold_id=hold_id,
        note=text,
    )
    return Recorded(customer_id, invoice_id, hold_id)


def record_promise(
    conn: psycopg.Connection,
    customer: str,
    promised: dt.date,
    *,
    at: dt.datetime,
    by: str,
    invoice: str | None = None,
    note: str | None = None,
) -> Recorded:
    """A promise to pay by ``promised``: reminders wait until then (plus the rule pack's grace)."""
    return open_hold(conn, customer, "promise_to_pay", at=at, by=by, invoice=invoice, until=promised, note=note)


def close_dispute(
    conn: psycopg.Connection,
    customer: str,
    *,
    at: dt.datetime,
    by: str,
    invoice: str | None = None,
    note: str | None = None,
) -> Recorded:
    """Release the open dispute holds of the customer (or of that invoice); ``row_id`` is how many
    were released. Raises BadInputError when there is none to close."""
    text = clean_note(note)
    customer_id, invoice_id = _resolve(conn, customer, invoice)
    released = conn.execute(
        "update ops.holds set released_at = %s where customer_id = %s and reason = 'dispute' "
        "and released_at is null and (%s::text is null or invoice_id = %s)",
        (_aware(at), customer_id, invoice_id, invoice_id),
    ).rowcount
    if released == 0:
        raise BadInputError(
            f"customer {customer_id!r} has no open dispute" + (" on that invoice" if invoice_id else "")
        )
    _log(conn, at=at, by=by, customer_id=customer_id, invoice_id=invoice_id, kind="dispute_closed", note=text)
    return Recorded(customer_id, invoice_id, released)


def record_opt_out(
    conn: psycopg.Connection,
    customer: str,
    channel: OptOutChannel,
    *,
    at: dt.datetime,
    by: str,
    source: OptOutSource = "manual",
) -> Recorded:
    """Record an opt-out; it takes effect at once (checked again just before every send)."""
    if channel not in OPT_OUT_CHANNELS:
        raise BadInputError(f"unknown channel; one of {', '.join(OPT_OUT_CHANNELS)}")
    customer_id = resolve_customer(conn, customer)
    conn.execute(
        "insert into ops.opt_outs (customer_id, channel, opted_out_at, source) values (%s, %s, %s, %s)",
        (customer_id, channel, _aware(at), source),
    )
    activity = _log(conn, at=at, by=by, customer_id=customer_id, invoice_id=None, kind="opt_out", outcome=channel)
    return Recorded(customer_id, None, activity)


def log_call(
    conn: psycopg.Connection,
    customer: str,
    outcome: CallOutcome,
    *,
    at: dt.datetime,
    by: str,
    invoice: str | None = None,
    note: str | None = None,
) -> Recorded:
    """Log a call and its outcome (a promise or a dispute heard on the call is recorded with
    :func:`record_promise` / :func:`open_hold` as well, by the caller)."""
    if outcome not in CALL_OUTCOMES:
        raise BadInputError(f"unknown call outcome; one of {', '.join(CALL_OUTCOMES)}")
    text = clean_note(note)
    customer_id, invoice_id = _resolve(conn, customer, invoice)
    activity = _log(
        conn, at=at, by=by, customer_id=customer_id, invoice_id=invoice_id, kind="call", outcome=outcome, note=text
    )
    return Recorded(customer_id, invoice_id, activity)


def add_note(
    conn: psycopg.Connection,
    customer: str,
    note: str,
    *,
    at: dt.datetime,
    by: str,
    invoice: str | None = None,
) -> Recorded:
    """A note for the other collectors (no personal data)."""
    text = clean_note(note)
    if text is None:
        raise BadInputError("the note is empty")
    customer_id, invoice_id = _resolve(conn, customer, invoice)
    activity = _log(conn, at=at, by=by, customer_id=customer_id, invoice_id=invoice_id, kind="note", note=text)
    return Recorded(customer_id, invoice_id, activity)
