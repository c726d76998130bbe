"""Reads the contact check needs from the warehouse and ops tables: contact profiles, holds,
contact history, the invoices' current state, and (only for rendering) the recipient. Profiles
and holds are read straight into the policy engine's types (:mod:`cartera.policy.models`).

Personal data (addresses, names) is read only by :func:`load_recipient`, at send time, and
never leaves memory except in the message itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import psycopg

from cartera.campaigns.candidates import OpenItem, open_item_from_row
from cartera.campaigns.contact_check import hold_from
from cartera.policy.models import ContactProfile, Hold, Payment, SentMessage
from cartera.run_dates import BOOKS_TZ

GAVE_UP = 1000  # outbox.mark_failed(give_up=True) sets attempts to at least this


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to. Holds personal data: never log it."""

    email: str | None
    contact_name: str | None
    language: str
    mobile: str | None = None

    def __repr__(self) -> str:  # keep addresses out of tracebacks and logs
        return f"Recipient(language={self.language!r})"

    def address_for(self, channel: str) -> str | None:
        """The address a channel sends to: the e-mail, or the mobile in E.164 for SMS/WhatsApp."""
        if channel == "email":
            return self.email
        if channel in ("sms", "whatsapp") and self.mobile:
            from cartera.channels.phones import to_e164

            return to_e164(self.mobile)
        return None


def contact_profile(
    customer_id: str,
    *,
    has_email: bool,
    has_mobile: bool = False,
    email_opt_out: bool = False,
    sms_opt_out: bool = False,
    opted_out_channels: Iterable[str] = (),
    whatsapp_opt_in: bool = False,
    timezone: str | None = None,
    country: str = "MX",
    state: str | None = None,
    language: str = "es",
    is_consumer: bool = False,
) -> ContactProfile:
    """A debtor's profile from the contact's facts: which channels have an address (an e-mail;
    a mobile for SMS and WhatsApp) and every opt-out — the contact's own flags per channel folded
    into `opted_out_channels` with those of ops.opt_outs. No address itself is kept."""
    reachable = ({"email"} if has_email else set()) | ({"sms", "whatsapp"} if has_mobile else set())
    opted_out = set(opted_out_channels) | ({"email"} if email_opt_out else set()) | ({"sms"} if sms_opt_out else set())
    return ContactProfile(
        customer_id,
        country or "MX",
        is_consumer,
        timezone=timezone,
        state=state,
        language=(language or "es")[:2],
        opted_out_channels=frozenset(opted_out),
        whatsapp_opt_in=whatsapp_opt_in,
        reachable_channels=frozenset(reachable),
    )


def load_profiles(conn: psycopg.Connection, customer_ids: Iterable[str], at: dt.datetime) -> dict[str, ContactProfile]:
    """One profile per customer id (customers missing from dim_customers get an unknown zone and
    no address, which the check turns into a denial). Opt-outs are those of ops.opt_outs in
    effect at `at` plus the contact's e-mail and SMS opt-out flags."""
    ids = sorted(set(customer_ids))
    rows = conn.execute(
        """
        select ids.customer_id, c.timezone, nullif(trim(k.email), '') is not null,
               coalesce(k.email_opt_out, false), coalesce(k.whatsapp_opt_in, false),
               coalesce((select array_agg(o.channel) from ops.opt_outs o
                         where o.customer_id = ids.customer_id and o.opted_out_at <= %(at)s
                           and (o.revoked_at is null or o.revoked_at > %(at)s)), '{}'),
               coalesce(c.country_code, 'MX'), c.state_code, coalesce(k.preferred_language, 'es-MX'),
               nullif(trim(k.mobile), '') is not null, coalesce(k.sms_opt_out, false)
        from unnest(%(ids)s::text[]) as ids(customer_id)
        left join marts.dim_customers c on c.customer_id = ids.customer_id
        left join marts.dim_contacts k on k.customer_id = ids.customer_id
        """,
        {"ids": ids, "at": at},
    ).fetchall()
    return {
        str(r[0]): contact_profile(
            str(r[0]),
            timezone=r[1],
            has_email=bool(r[2]),
            email_opt_out=bool(r[3]),
            whatsapp_opt_in=bool(r[4]),
            opted_out_channels=r[5],
            country=str(r[6]),
            state=r[7],
            language=str(r[8]),
            has_mobile=bool(r[9]),
            sms_opt_out=bool(r[10]),
        )
        for r in rows
    }


def unknown_profile(customer_id: str) -> ContactProfile:
    """The profile of a customer the warehouse does not know: Mexico, no zone, no address."""
    return contact_profile(customer_id, has_email=False)


def load_holds(conn: psycopg.Connection, customer_ids: Iterable[str]) -> dict[str, list[Hold]]:
    """Every hold (open or released) of these customers, by customer; the check decides which are open."""
    rows = conn.execute(
        "select customer_id, invoice_id, reason, opened_at, released_at, until from ops.holds "
        "where customer_id = any(%s) order by hold_id",
        (sorted(set(customer_ids)),),
    ).fetchall()
    found: dict[str, list[Hold]] = {}
    for customer, invoice_id, reason, opened_at, released_at, until in rows:
        hold = hold_from(str(reason), invoice_id, opened_at, released_at=released_at, until=until)
        found.setdefault(str(customer), []).append(hold)
    return found


def load_history(
    conn: psycopg.Connection, customer_id: str, *, include_scheduled: bool, exclude_outbox_id: int | None = None
) -> list[SentMessage]:
    """Reminders to this customer on any channel, as the policy engine counts them: sent ones
    (a permanently failed one counts as an attempt and pauses its channel), ones that may have
    been sent (a request in flight, unknown, held for review: counted as sent at their claim, so
    a cap is never exceeded by a message whose fate is not yet known; a row merely claimed is
    not), plus (at build time,
    `include_scheduled`) rows still waiting to go out, at their planned instant."""
    rows = conn.execute(
        """
        select case when status = 'sent' then sent_at
                    when status = 'failed' and attempts >= %(gave_up)s then coalesce(claimed_at, updated_at)
                    when status in ('sending', 'unknown', 'review') then coalesce(claimed_at, not_before)
                    else not_before end,
               channel, invoice_ids, status, attempts
        from ops.outbox o
        where customer_id = %(customer)s and outbox_id is distinct from %(exclude)s
          and (status in ('sent', 'unknown', 'review') or (status = 'failed' and attempts >= %(gave_up)s)
               or (status = 'sending' and (%(scheduled)s or exists (
                   select 1 from ops.send_attempts a where a.outbox_id = o.outbox_id and a.finished_at is null)))
               or (%(scheduled)s and status in ('pending', 'deferred', 'failed')))
        """,
        {"customer": customer_id, "exclude": exclude_outbox_id, "gave_up": GAVE_UP, "scheduled": include_scheduled},
    ).fetchall()
    return [
        SentMessage(
            at=r[0],
            channel=str(r[1]),
            invoice_ids=tuple(r[2]),
            outcome="failed" if r[3] == "failed" and r[4] >= GAVE_UP else "sent",
        )
        for r in rows
        if r[0] is not None
    ]


def load_recent_payments(
    conn: psycopg.Connection, customer_id: str, at: dt.datetime, *, days: int = 7
) -> list[Payment]:
    """The customer's payments received in the `days` before `at` (for the quiet period after a
    payment). Payments carry a date, not an instant: each counts from the end of its day in the
    books' zone (the conservative reading: the quiet period can only last longer), or from `at`
    for a payment of today, which is known to have happened already."""
    rows = conn.execute(
        """
        select p.payment_id, p.payment_date
        from marts.fct_payments p
        where p.customer_id = %s and p.payment_date > %s::date - %s and p.payment_date <= %s::date
        """,
        (customer_id, at.astimezone(BOOKS_TZ).date(), days, at.astimezone(BOOKS_TZ).date()),
    ).fetchall()
    return [
        Payment(
            invoice_id=f"payment:{r[0]}",
            at=min(dt.datetime.combine(r[1] + dt.timedelta(days=1), dt.time(0), tzinfo=BOOKS_TZ), at),
            settles_invoice=False,
        )
        for r in rows
    ]


def load_current_items(
    conn: psycopg.Connection, invoice_ids: Iterable[str]
) -> tuple[dt.date | None, dict[str, OpenItem]]:
    """(snapshot date, invoices) from the warehouse's latest open-items snapshot. An invoice
    missing from it is no longer open (paid, credited or cancelled) and is simply absent."""
    snapshot = conn.execute("select max(as_of_date) from marts.fct_open_items").fetchone()
    snapshot_date = snapshot[0] if snapshot else None
    rows = conn.execute(
        """
        select o.invoice_id, o.invoice_number, o.customer_id, o.due_date, o.currency, o.open_amount,
               o.open_amount_mxn, o.days_past_due, coalesce(o.is_disputed, false), null::float8,
               o.issue_date, o.cfdi_uuid
        from marts.fct_open_items o
        where o.invoice_id = any(%s)
          and o.as_of_date = %s
        """,
        (sorted(set(invoice_ids)), snapshot_date),
    ).fetchall()
    return snapshot_date, {item.invoice_id: item for item in map(open_item_from_row, rows)}


def closed_placeholder(invoice_id: str, customer_id: str) -> OpenItem:
    """Stand-in for an invoice that left the open items: zero open amount, so the check denies."""
    return OpenItem(invoice_id, "", customer_id, dt.date.min, "MXN", Decimal(0), Decimal(0), 0, False)


def load_recipient(conn: psycopg.Connection, customer_id: str) -> Recipient | None:
    """The primary contact's addresses, name and language (None without any address)."""
    row = conn.execute(
        "select email, contact_name, preferred_language, mobile from marts.dim_contacts where customer_id = %s",
        (customer_id,),
    ).fetchone()
    if row is None:
        return None
    email = str(row[0]).strip() if row[0] and str(row[0]).strip() else None
    mobile = str(row[3]).strip() if row[3] and str(row[3]).strip() else None
    if email is None and mobile is None:
        return None
    language = row[2] if row[2] in ("es-MX", "en-US") else "es-MX"
    return Recipient(email=email, contact_name=row[1], language=language, mobile=mobile)


# -- batch loaders (dispatch: one query per batch instead of one per row) ----------------------


def load_histories(
    conn: psycopg.Connection, customer_ids: Iterable[str], *, exclude_outbox_ids: Iterable[int] = ()
) -> dict[str, list[SentMessage]]:
    """:func:`load_history` (``include_scheduled=False``) for many customers in one query, keyed
    by customer (every id present, possibly with an empty list). Rows in `exclude_outbox_ids`
    (the batch being decided) are left out: the dispatcher adds the ones it lets go itself."""
    ids = sorted(set(customer_ids))
    found: dict[str, list[SentMessage]] = {customer: [] for customer in ids}
    rows = conn.execute(
        """
        select o.customer_id,
               case when status = 'sent' then sent_at
                    when status = 'failed' and attempts >= %(gave_up)s then coalesce(claimed_at, updated_at)
                    else coalesce(claimed_at, not_before) end,
               channel, invoice_ids, status, attempts
        from ops.outbox o
        where customer_id = any(%(ids)s) and not (outbox_id = any(%(exclude)s))
          and (status in ('sent', 'unknown', 'review') or (status = 'failed' and attempts >= %(gave_up)s)
               or (status = 'sending' and exists (
                   select 1 from ops.send_attempts a where a.outbox_id = o.outbox_id and a.finished_at is null)))
        """,
        {"ids": ids, "exclude": sorted(set(exclude_outbox_ids)), "gave_up": GAVE_UP},
    ).fetchall()
    for r in rows:
        if r[1] is None:
            continue
        found.setdefault(str(r[0]), []).append(
            SentMessage(
                at=r[1],
                channel=str(r[2]),
                invoice_ids=tuple(r[3]),
                outcome="failed" if r[4] == "failed" and r[5] >= GAVE_UP else "sent",
            )
        )
    return found


@dataclass(frozen=True)
class PaymentDays:
    """Payment dates of many customers, read once per batch; :meth:`recent` gives what
    :func:`load_recent_payments` would at any instant inside the loaded range."""

    by_customer: dict[str, list[tuple[str, dt.date]]]

    def recent(self, customer_id: str, at: dt.datetime, *, days: int = 7) -> list[Payment]:
        today = at.astimezone(BOOKS_TZ).date()
        return [
            Payment(
                invoice_id=f"payment:{payment_id}",
                at=min(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=BOOKS_TZ), at),
                settles_invoice=False,
            )
            for payment_id, day in self.by_customer.get(customer_id, [])
            if today - dt.timedelta(days=days) < day <= today
        ]


def load_payment_days(
    conn: psycopg.Connection, customer_ids: Iterable[str], at: dt.datetime, *, days: int = 7
) -> PaymentDays:
    """The customers' payments from `days` before `at` on (one day wider at both ends, so an
    instant read later in the batch, even past midnight, is still covered)."""
    today = at.astimezone(BOOKS_TZ).date()
    rows = conn.execute(
        "select customer_id, payment_id, payment_date from marts.fct_payments "
        "where customer_id = any(%s) and payment_date > %s and payment_date <= %s",
        (sorted(set(customer_ids)), today - dt.timedelta(days=days + 1), today + dt.timedelta(days=1)),
    ).fetchall()
    by_customer: dict[str, list[tuple[str, dt.date]]] = {}
    for customer, payment_id, day in rows:
        by_customer.setdefault(str(customer), []).append((str(payment_id), day))
    return PaymentDays(by_customer)


def load_recipients(conn: psycopg.Connection, customer_ids: Iterable[str]) -> dict[str, Recipient]:
    """:func:`load_recipient` for many customers in one query (customers without any address are
    absent). Holds personal data: never log it."""
    rows = conn.execute(
        "select customer_id, email, contact_name, preferred_language, mobile from marts.dim_contacts "
        "where customer_id = any(%s)",
        (sorted(set(customer_ids)),),
    ).fetchall()
    found: dict[str, Recipient] = {}
    for customer, raw_email, name, language, raw_mobile in rows:
        email = str(raw_email).strip() if raw_email and str(raw_email).strip() else None
        mobile = str(raw_mobile).strip() if raw_mobile and str(raw_mobile).strip() else None
        if email is None and mobile is None:
            continue
        found[str(customer)] = Recipient(
            email=email,
            contact_name=name,
            language=language if language in ("es-MX", "en-US") else "es-MX",
            mobile=mobile,
        )
    return found


def load_payment_references(conn: psycopg.Connection, customer_ids: Iterable[str]) -> dict[str, str]:
    """:func:`cartera.campaigns.message_context.payment_reference` for many customers: the RFC,
    or the customer id when it is unknown. Personal data: into the message only."""
    ids = sorted(set(customer_ids))
    rows = conn.execute(
        "select customer_id, nullif(upper(trim(rfc)), '') from marts.dim_customers where customer_id = any(%s)",
        (ids,),
    ).fetchall()
    found = {customer: customer for customer in ids}
    found.update({str(r[0]): str(r[1]) for r in rows if r[1]})
    return found
