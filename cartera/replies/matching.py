"""Who wrote a reply, and to which of our messages: the reference the e-mail carries
(In-Reply-To / References naming our message id), else the sender's address or phone number
against every contact the customers have (raw.contacts, and the warehouse's primary contacts when
built). Addresses and numbers are compared inside the database and never logged or returned."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg

from cartera.receiver.store import OutboxRef, find_outbox
from cartera.run_dates import BOOKS_TZ

_MESSAGE_ID = re.compile(r"<([^<>@\s]+)@[^<>\s]*>")


@dataclass(frozen=True)
class Match:
    """Customers the sender is a contact of (usually one), the message replied to when known,
    and how they were found ('in_reply_to', 'email', 'phone', or 'none')."""

    customer_ids: tuple[str, ...]
    outbox: OutboxRef | None
    matched_by: str

    @property
    def customer_id(self) -> str | None:
        return self.customer_ids[0] if len(self.customer_ids) == 1 else None


def referenced_ids(headers: str | None) -> tuple[str, ...]:
    """Our provider message ids named by In-Reply-To / References values: the local part of each
    ``<id@host>``, up to its first dot (SendGrid's Message-ID starts with the X-Message-Id)."""
    if not headers:
        return ()
    return tuple(dict.fromkeys(m.group(1).split(".", 1)[0] for m in _MESSAGE_ID.finditer(headers)))


def _exists(conn: psycopg.Connection, relation: str) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()
    return bool(row and row[0])


def _customers_by_email(conn: psycopg.Connection, email: str) -> list[str]:
    sources = ["select customer_id, email from raw.contacts"]
    if _exists(conn, "marts.dim_contacts"):
        sources.append("select customer_id, email from marts.dim_contacts")
    rows = conn.execute(
        f"select distinct customer_id from ({' union all '.join(sources)}) c "  # noqa: S608  (fixed relation names)
        "where customer_id is not null and lower(trim(email)) = lower(trim(%s)) order by customer_id",
        (email,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _customers_by_phone(conn: psycopg.Connection, e164: str) -> list[str]:
    digits = re.sub(r"\D", "", e164)
    if len(digits) < 10:
        return []
    # Stored numbers come in every shape (+52 1 55…, 044 55…, (55) 1234-5678): compare the last
    # ten digits, which in Mexico is the whole national number.
    sources = ["select customer_id, mobile from raw.contacts"]
    if _exists(conn, "marts.dim_contacts"):
        sources.append("select customer_id, mobile from marts.dim_contacts")
    rows = conn.execute(
        f"select distinct customer_id from ({' union all '.join(sources)}) c "  # noqa: S608  (fixed relation names)
        "where customer_id is not null and right(regexp_replace(mobile, '\\D', '', 'g'), 10) = %s "
        "order by customer_id",
        (digits[-10:],),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _latest_message(conn: psycopg.Connection, customer_id: str, channel: str, before: dt.datetime) -> OutboxRef | None:
    row = conn.execute(
        "select outbox_id from ops.outbox where customer_id = %s and channel = %s and sent_at is not null "
        "and sent_at <= %s order by sent_at desc limit 1",
        (customer_id, channel, before),
    ).fetchone()
    return find_outbox(conn, outbox_id=int(row[0])) if row else None


def match_sender(
    conn: psycopg.Connection,
    *,
    channel: str,
    sender: str,
    references: tuple[str, ...],
    received_at: dt.datetime,
) -> Match:
    """Find the customer and message of a reply (see the module docstring)."""
    for provider_id in references:
        outbox = find_outbox(conn, provider_message_id=provider_id)
        if outbox is not None:
            return Match((outbox.customer_id,), outbox, "in_reply_to")
    if not sender:
        return Match((), None, "none")
    if channel == "email":
        customers, how = _customers_by_email(conn, sender), "email"
    else:
        customers, how = _customers_by_phone(conn, sender), "phone"
    if not customers:
        return Match((), None, "none")
    outbox = _latest_message(conn, customers[0], channel, received_at) if len(customers) == 1 else None
    return Match(tuple(customers), outbox, how)


def customer_zone(conn: psycopg.Connection, customer_id: str | None) -> ZoneInfo:
    """The customer's time zone from the warehouse, else the books' zone."""
    if customer_id and _exists(conn, "marts.dim_customers"):
        row = conn.execute("select timezone from marts.dim_customers where customer_id = %s", (customer_id,)).fetchone()
        if row and row[0]:
            try:
                return ZoneInfo(str(row[0]))
            except (ZoneInfoNotFoundError, ValueError):
                pass
    return BOOKS_TZ
