"""Everything the build reads about its candidates' customers, read once per batch: one query per
table for all the day's customers instead of one per customer (profiles, holds, contact history,
recent payments, recipients, payment references, WhatsApp windows, today's outbox keys).

Each loader gives, per customer, exactly what its per-customer counterpart in
:mod:`cartera.campaigns.contact_data` / :mod:`cartera.campaigns.message_context` gives (the
integration test ``test_build_inputs`` holds them to it). The build writes nothing a later
customer's inputs depend on (a customer's own rows are written after its check), so reading them
all before the loop decides exactly as reading them inside it did. Personal data (addresses, RFCs)
is held in memory for rendering only, never logged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg

from cartera.campaigns import contact_data as data
from cartera.campaigns.message_context import WHATSAPP_WINDOW
from cartera.policy.models import ContactProfile, Hold, Payment, SentMessage

# contact_data.load_history(include_scheduled=True) for many customers: the same instant and
# filter, keyed by customer.
_SCHEDULED_HISTORIES_SQL = """
select customer_id,
       case when status = 'sent' then sent_at
            when status = 'failed' and attempts >= %(gave_up)s then coalesce(claimed_at, updated_at)
            when status in ('sending', 'unknown', 'review') then coalesce(claimed_at, not_before)
            else not_before end,
       channel, invoice_ids, status, attempts
from ops.outbox o
where customer_id = any(%(ids)s)
  and (status in ('sent', 'unknown', 'review', 'sending', 'pending', 'deferred', 'failed'))
"""


def load_scheduled_histories(conn: psycopg.Connection, customer_ids: Iterable[str]) -> dict[str, list[SentMessage]]:
    """:func:`contact_data.load_history` with ``include_scheduled=True`` for many customers in one
    query: every id present (possibly with an empty list)."""
    ids = sorted(set(customer_ids))
    found: dict[str, list[SentMessage]] = {customer: [] for customer in ids}
    rows = conn.execute(_SCHEDULED_HISTORIES_SQL, {"ids": ids, "gave_up": data.GAVE_UP}).fetchall()
    for customer, at, channel, invoice_ids, status, attempts in rows:
        if at is None:
            continue
        found.setdefault(str(customer), []).append(
            SentMessage(
                at=at,
                channel=str(channel),
                invoice_ids=tuple(invoice_ids),
                outcome="failed" if status == "failed" and attempts >= data.GAVE_UP else "sent",
            )
        )
    return found


def load_whatsapp_windows(conn: psycopg.Connection, customer_ids: Iterable[str], at: dt.datetime) -> frozenset[str]:
    """The customers among `customer_ids` whose WhatsApp window is open at `at`
    (:func:`cartera.campaigns.message_context.whatsapp_window_open` for many customers)."""
    exists = conn.execute("select to_regclass('ops.inbound_replies') is not null").fetchone()
    if not exists or not exists[0]:
        return frozenset()
    rows = conn.execute(
        "select distinct customer_id from ops.inbound_replies where customer_id = any(%s) and channel = 'whatsapp' "
        "and received_at > %s and received_at <= %s",
        (sorted(set(customer_ids)), at - WHATSAPP_WINDOW, at),
    ).fetchall()
    return frozenset(str(r[0]) for r in rows)


def load_outbox_keys(conn: psycopg.Connection, customer_ids: Iterable[str], as_of: dt.date) -> frozenset[str]:
    """The outbox idempotency keys of these customers for business day `as_of` (a rebuild asks
    whether its key exists; a day's key hashes the day, and its row carries it as ``as_of_date``)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return frozenset()
    rows = conn.execute(
        "select idempotency_key from ops.outbox where customer_id = any(%s) and as_of_date = %s", (ids, as_of)
    ).fetchall()
    return frozenset(str(r[0]) for r in rows)


@dataclass(frozen=True)
class BuildInputs:
    """What the build's checks and renderings read, for every candidate customer of the day."""

    profiles: dict[str, ContactProfile]
    holds: dict[str, list[Hold]]
    histories: dict[str, list[SentMessage]]
    payment_days: data.PaymentDays
    recipients: dict[str, data.Recipient]
    references: dict[str, str]
    whatsapp_open: frozenset[str]
    existing_keys: frozenset[str]

    def __repr__(self) -> str:  # recipients and references are personal data: keep them out of logs
        return f"BuildInputs(customers={len(self.profiles)})"

    def profile(self, customer_id: str) -> ContactProfile:
        return self.profiles.get(customer_id) or data.unknown_profile(customer_id)

    def history(self, customer_id: str) -> list[SentMessage]:
        return list(self.histories.get(customer_id, []))

    def payments(self, customer_id: str, at: dt.datetime) -> list[Payment]:
        return self.payment_days.recent(customer_id, at)

    def reference(self, customer_id: str) -> str:
        return self.references.get(customer_id, customer_id)


def load_build_inputs(
    conn: psycopg.Connection,
    customer_ids: Iterable[str],
    as_of: dt.date,
    planned_at: dt.datetime,
    messaged_today: Iterable[str],
) -> BuildInputs:
    """Read everything the build of business day `as_of` needs about `customer_ids` as of
    `planned_at`, one query per table; the day's outbox keys only for the customers already
    messaged that day."""
    ids = sorted(set(customer_ids))
    return BuildInputs(
        profiles=data.load_profiles(conn, ids, planned_at),
        holds=data.load_holds(conn, ids),
        histories=load_scheduled_histories(conn, ids),
        payment_days=data.load_payment_days(conn, ids, planned_at),
        recipients=data.load_recipients(conn, ids),
        references=data.load_payment_references(conn, ids),
        whatsapp_open=load_whatsapp_windows(conn, ids, planned_at),
        existing_keys=load_outbox_keys(conn, set(ids) & set(messaged_today), as_of),
    )
