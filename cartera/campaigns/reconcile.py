"""Rows a dispatch could not be sure of: recovered from expired leases, then reconciled.

Steps 1 and 2 of :mod:`cartera.campaigns.dispatch`: a row left ``sending`` past its lease becomes
``unknown`` (an attempt had started) or ``pending`` (none had); every ``unknown`` row is confirmed
by the provider's stored events or its search API (→ ``sent``), or, with no confirmation inside
the reconciliation window, held for ``review`` — never resent blindly.
"""

from __future__ import annotations

import datetime as dt

import psycopg

from cartera.campaigns import attempts, outbox
from cartera.campaigns import contact_data as data
from cartera.campaigns.dispatch_channels import Channels
from cartera.campaigns.dispatch_options import Clock, DispatchOptions, DispatchSummary, read_clock
from cartera.channels import OutboundMessage, ReconciliationUnavailable
from cartera.logs import get_logger

_log = get_logger("cartera.campaigns.dispatch")  # the dispatch's log lines keep their logger


# -- 1. recover ------------------------------------------------------------------------------


def recover_expired(conn: psycopg.Connection, now: dt.datetime, summary: DispatchSummary) -> None:
    for outbox_id, started in outbox.expired_leases(conn, now):
        summary.reclaimed += 1
        if started:
            # The request may have left before the dispatcher died: reconcile, never resend.
            attempts.close_open(conn, outbox_id, now, "unknown", "lease_expired")
            conn.execute(
                "update ops.outbox set status = 'unknown', last_error = 'lease_expired', lease_until = null, "
                "updated_at = %s where outbox_id = %s and status = 'sending'",
                (now, outbox_id),
            )
        else:
            # Claimed, maybe decided with its attempt prepared, but no request made: nothing left.
            attempts.close_open(conn, outbox_id, now, "not_sent", "lease_expired_before_request")
            outbox.release(conn, outbox_id, now, now, "lease_expired_before_send")
    conn.commit()


# -- 2. reconcile ----------------------------------------------------------------------------


def _events_stored(conn: psycopg.Connection) -> bool:
    """Whether the receiver's table of provider events exists (it is created with the receiver)."""
    exists = conn.execute("select to_regclass('ops.message_events') is not null").fetchone()
    return bool(exists and exists[0])


def _event_confirmation(conn: psycopg.Connection, key: str) -> str | None:
    """The provider message id from an event the receiver stored for this key, if any."""
    row = conn.execute(
        "select coalesce(provider_message_id, '') from ops.message_events where idempotency_key = %s "
        "and event_type not in ('unknown') order by occurred_at limit 1",
        (key,),
    ).fetchone()
    return str(row[0]) or "event" if row else None


def reconcile_unknown(
    dsn: str,
    conn: psycopg.Connection,
    clock: Clock,
    registry: Channels,
    opts: DispatchOptions,
    summary: DispatchSummary,
) -> None:
    rows = outbox.load_rows(conn, "unknown")
    if not rows:
        return
    events = _events_stored(conn)
    recipients = data.load_recipients(conn, {row.customer_id for row in rows})  # one query, not one per row
    for row in rows:
        now = read_clock(clock)
        attempt = attempts.last_started(conn, row.outbox_id)
        since = attempt.started_at if attempt else now
        found_id = _event_confirmation(conn, row.idempotency_key) if events else None
        if found_id is None:
            found_id = _ask_provider(row, recipients.get(row.customer_id), registry, since, attempt)
        if found_id is not None:
            provider_id = None if found_id in ("event", "") else found_id
            outbox.mark_sent(conn, row.outbox_id, now, provider_id, sent_at=since, from_statuses=("unknown",))
            if attempt is not None:
                attempts.finish(conn, attempt.attempt_id, now, "found", provider_message_id=provider_id)
            summary.reconciled_sent += 1
        elif now - since >= opts.reconcile_window:
            outbox.mark_review(conn, row.outbox_id, now, "no_confirmation_in_window")
            if attempt is not None:
                attempts.finish(conn, attempt.attempt_id, now, "not_found", error_code="no_confirmation_in_window")
            summary.held_for_review += 1
        conn.commit()


def _ask_provider(
    row: outbox.OutboxRow,
    recipient: data.Recipient | None,
    registry: Channels,
    since: dt.datetime,
    attempt: attempts.Attempt | None,
) -> str | None:
    channel = registry.get(row.channel)
    if channel is None:
        return None
    message = OutboundMessage(
        channel=row.channel,  # type: ignore[arg-type]
        to=(recipient.address_for(row.channel) or "") if recipient else "",
        text="",
        idempotency_key=row.idempotency_key,
        custom_args={"content_sha256": attempt.content_sha256 or ""} if attempt else {},
    )
    try:
        record = channel.find_sent(message, since)
    except ReconciliationUnavailable as exc:
        _log.warning("reconcile outbox_id=%d: %s", row.outbox_id, exc)
        return None
    if record is None:
        return None
    return record.provider_message_id or "event"
