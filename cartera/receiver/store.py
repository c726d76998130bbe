"""Writing what providers report: each event once in ops.message_events, the message's delivery
columns in ops.outbox (never its send ``status``, which the dispatcher owns), and the opt-outs a
hard bounce, a spam report or an unsubscribe imply. Callers pass one connection and commit once:
an event and its effects land together or not at all."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from cartera.receiver.events import DELIVERY_RANK, MessageEvent

_RANK_NAMES = list(DELIVERY_RANK)
_RANK_VALUES = [DELIVERY_RANK[name] for name in _RANK_NAMES]


@dataclass(frozen=True)
class OutboxRef:
    """The outbox row an event or reply is about."""

    outbox_id: int
    idempotency_key: str
    customer_id: str
    channel: str
    invoice_ids: tuple[str, ...]


def _ref(row: tuple[Any, ...] | None) -> OutboxRef | None:
    if row is None:
        return None
    return OutboxRef(int(row[0]), str(row[1]), str(row[2]), str(row[3]), tuple(row[4] or ()))


def find_outbox(
    conn: psycopg.Connection,
    *,
    idempotency_key: str | None = None,
    outbox_id: int | None = None,
    provider_message_id: str | None = None,
) -> OutboxRef | None:
    """The outbox row by our idempotency key (preferred: it travels in SendGrid's custom args),
    else our outbox id, else the provider's message id (the latest send carrying it)."""
    if not (idempotency_key or outbox_id is not None or provider_message_id):
        return None
    row = conn.execute(
        """
        select outbox_id, idempotency_key, customer_id, channel, invoice_ids
        from ops.outbox
        where idempotency_key = %(key)s or outbox_id = %(id)s or provider_message_id = %(pid)s
        order by idempotency_key = %(key)s desc nulls last, outbox_id = %(id)s desc nulls last,
                 sent_at desc nulls last
        limit 1
        """,
        {"key": idempotency_key, "id": outbox_id, "pid": provider_message_id},
    ).fetchone()
    return _ref(row)


def insert_event(
    conn: psycopg.Connection,
    event: MessageEvent,
    *,
    received_at: dt.datetime,
    outbox: OutboxRef | None,
    customer_id: str | None = None,
) -> int | None:
    """Store the event; its id, or None when (provider, provider event id) was already stored."""
    row = conn.execute(
        """
        insert into ops.message_events (provider, provider_event_id, event_type, provider_event_type, channel,
            occurred_at, received_at, provider_message_id, outbox_id, idempotency_key, customer_id, payload)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (provider, provider_event_id) do nothing
        returning event_id
        """,
        (
            event.provider,
            event.provider_event_id,
            event.event_type,
            event.provider_event_type,
            outbox.channel if outbox else event.channel,
            event.occurred_at,
            received_at,
            event.provider_message_id,
            outbox.outbox_id if outbox else None,
            outbox.idempotency_key if outbox else event.idempotency_key,
            outbox.customer_id if outbox else customer_id,
            Jsonb(event.payload),
        ),
    ).fetchone()
    return int(row[0]) if row else None


def apply_delivery(conn: psycopg.Connection, outbox_id: int, event: MessageEvent, at: dt.datetime) -> None:
    """Move the message's delivery columns forward (a late 'processed' never undoes 'delivered';
    each first-time instant keeps the earliest event)."""
    status = event.delivery_status
    if status is None:
        return
    kind = event.event_type
    conn.execute(
        """
        update ops.outbox o set
            delivery_status = case
                when coalesce((select r from unnest(%(names)s::text[], %(ranks)s::int[]) as t(n, r)
                               where n = o.delivery_status), 0) <= %(rank)s
                then %(status)s else o.delivery_status end,
            delivered_at = case when %(delivered)s then least(coalesce(o.delivered_at, %(at)s), %(at)s)
                                else o.delivered_at end,
            opened_at = case when %(opened)s then least(coalesce(o.opened_at, %(at)s), %(at)s) else o.opened_at end,
            clicked_at = case when %(clicked)s then least(coalesce(o.clicked_at, %(at)s), %(at)s) else o.clicked_at end,
            bounced_at = case when %(bounced)s then least(coalesce(o.bounced_at, %(at)s), %(at)s) else o.bounced_at end,
            delivery_updated_at = greatest(coalesce(o.delivery_updated_at, %(at)s), %(at)s)
        where o.outbox_id = %(outbox_id)s
        """,
        {
            "names": _RANK_NAMES,
            "ranks": _RANK_VALUES,
            "rank": DELIVERY_RANK[status],
            "status": status,
            "at": at,
            "delivered": kind == "delivered",
            "opened": kind in ("opened", "read"),
            "clicked": kind == "clicked",
            "bounced": kind in ("bounced", "dropped", "undelivered", "failed"),
            "outbox_id": outbox_id,
        },
    )


def add_opt_out(conn: psycopg.Connection, customer_id: str, channel: str, at: dt.datetime, source: str) -> bool:
    """Opt the customer out of `channel` from `at` unless an opt-out of that channel (or of all)
    is already in force. True when a row was added."""
    row = conn.execute(
        """
        insert into ops.opt_outs (customer_id, channel, opted_out_at, source)
        select %(customer)s, %(channel)s, %(at)s, %(source)s
        where not exists (
            select 1 from ops.opt_outs
            where customer_id = %(customer)s and channel in (%(channel)s, 'all') and revoked_at is null
        )
        on conflict do nothing
        returning 1
        """,
        {"customer": customer_id, "channel": channel, "at": at, "source": source},
    ).fetchone()
    return row is not None


def remember_signature(
    conn: psycopg.Connection, provider: str, fingerprint: str, at: dt.datetime, keep: dt.timedelta
) -> bool:
    """Remember an accepted signature; False when it was seen before (a replay). Signatures
    older than `keep` are forgotten: their timestamps are refused as stale anyway."""
    conn.execute("delete from ops.webhook_signatures where received_at < %s", (at - keep,))
    row = conn.execute(
        "insert into ops.webhook_signatures (provider, signature_sha256, received_at) values (%s, %s, %s) "
        "on conflict do nothing returning 1",
        (provider, fingerprint, at),
    ).fetchone()
    return row is not None


def record_events(conn: psycopg.Connection, events: Iterable[MessageEvent], received_at: dt.datetime) -> Counter[str]:
    """Store each event once and apply what it means to its message and customer. Returns
    counts: stored, duplicate, unmatched, opt_outs, and stored per event type."""
    counts: Counter[str] = Counter()
    for event in events:
        outbox = None
        if event.event_type != "unknown":
            outbox = find_outbox(
                conn,
                idempotency_key=event.idempotency_key,
                outbox_id=event.outbox_id,
                provider_message_id=event.provider_message_id,
            )
        event_id = insert_event(conn, event, received_at=received_at, outbox=outbox)
        if event_id is None:
            counts["duplicate"] += 1
            continue
        counts["stored"] += 1
        counts[f"type.{event.event_type}"] += 1
        if outbox is None:
            counts["unmatched"] += 1
            continue
        apply_delivery(conn, outbox.outbox_id, event, event.occurred_at or received_at)
        if event.opt_out_source and add_opt_out(
            conn, outbox.customer_id, outbox.channel, event.occurred_at or received_at, event.opt_out_source
        ):
            counts["opt_outs"] += 1
    return counts
