"""May this message go out at this instant? One pure function, :func:`check`, used when a batch
is built AND again just before sending (with the invoices re-read from the warehouse).

The interface is the one the future policy engine (rule packs per country) will keep:
``check(candidate, profile, history, holds, at) -> Decision``. Today it encodes Mexico only
(rule pack id ``MX-CONDUSEF-2014``, see /work/shared/COMPLIANCE.md):

deny   an invoice that is paid or no longer open, disputed, or under an open hold; an opt-out
       (ops.opt_outs for the channel or 'all', or dim_contacts.email_opt_out); no address.
defer  already contacted on the debtor's local day (max one reminder per day, any channel); or
       outside 07:00–22:00 debtor-local. `next_allowed_at` is the first instant satisfying both.
allow  otherwise.

Denials win over deferrals: a message that must never go out is not merely postponed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from cartera.campaigns.candidates import Candidate
from cartera.campaigns.contact_window import (
    is_within_window,
    next_allowed_instant,
    resolve_zones,
    same_local_day,
    start_of_next_local_day,
)

RULE_PACK_ID = "MX-CONDUSEF-2014"
Verdict = Literal["allow", "defer", "deny"]


@dataclass(frozen=True)
class ContactProfile:
    """What the rules need to know about a debtor's contact (no address itself: only whether
    one exists). `opted_out_channels` holds channels from ops.opt_outs effective now ('all'
    blocks every channel)."""

    customer_id: str
    timezone: str | None
    has_email: bool
    email_opt_out: bool = False
    whatsapp_opt_in: bool = False
    opted_out_channels: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Hold:
    """A row of ops.holds: a stop on one invoice, or on all of a customer's invoices when
    `invoice_id` is None (dispute, promise to pay, payment reported, legal, manual)."""

    customer_id: str
    invoice_id: str | None
    reason: str
    opened_at: dt.datetime
    released_at: dt.datetime | None = None

    def is_open(self, at: dt.datetime) -> bool:
        return self.opened_at <= at and (self.released_at is None or self.released_at > at)

    def covers(self, invoice_id: str) -> bool:
        return self.invoice_id is None or self.invoice_id == invoice_id


@dataclass(frozen=True)
class Decision:
    """The verdict on one candidate (or one invoice of it, when `invoice_id` is set)."""

    verdict: Verdict
    reason_code: str
    reason_es: str
    reason_en: str
    next_allowed_at: dt.datetime | None = None
    rule_id: str = RULE_PACK_ID
    invoice_id: str | None = None


def _deny(code: str, es: str, en: str, invoice_id: str | None = None) -> Decision:
    return Decision("deny", code, es, en, rule_id=f"{RULE_PACK_ID}/{code}", invoice_id=invoice_id)


def invoice_denials(candidate: Candidate, holds: Sequence[Hold], at: dt.datetime) -> list[Decision]:
    """One deny decision per invoice of `candidate` that must not be mentioned in a reminder:
    paid or no longer open, disputed, or under an open hold. Empty when all are collectible."""
    denials = []
    open_holds = [h for h in holds if h.customer_id == candidate.customer_id and h.is_open(at)]
    for item in candidate.invoices:
        if not item.is_open:
            denials.append(
                _deny(
                    "invoice_not_open",
                    "La factura ya está pagada o cerrada.",
                    "The invoice is paid or closed.",
                    item.invoice_id,
                )
            )
        elif item.is_disputed:
            denials.append(
                _deny("invoice_disputed", "La factura está en disputa.", "The invoice is disputed.", item.invoice_id)
            )
        elif any(h.covers(item.invoice_id) for h in open_holds):
            denials.append(
                _deny(
                    "invoice_on_hold",
                    "La factura tiene una suspensión activa.",
                    "The invoice is on hold.",
                    item.invoice_id,
                )
            )
    return denials


def _channel_denial(candidate: Candidate, profile: ContactProfile) -> Decision | None:
    channel = candidate.channel
    if channel is None:
        return _deny(
            "no_channel", "No hay un canal disponible para este paso.", "No channel is available for this step."
        )
    if (
        "all" in profile.opted_out_channels
        or channel in profile.opted_out_channels
        or (channel == "email" and profile.email_opt_out)
    ):
        return _deny(
            "opted_out",
            "El contacto pidió no recibir mensajes por este canal.",
            "The contact opted out of this channel.",
        )
    if channel == "email" and not profile.has_email:
        return _deny("no_address", "El contacto no tiene correo electrónico.", "The contact has no email address.")
    if channel == "whatsapp" and not profile.whatsapp_opt_in:
        return _deny("no_consent", "El contacto no autorizó WhatsApp.", "The contact has not opted in to WhatsApp.")
    return None


def check(
    candidate: Candidate,
    profile: ContactProfile,
    history: Sequence[dt.datetime],
    holds: Sequence[Hold],
    at: dt.datetime,
) -> Decision:
    """Decide whether `candidate` may be sent at `at` (timezone-aware).

    `history` holds the instants of reminders already sent (or, at build time, already scheduled)
    to this customer on any channel, excluding this candidate itself. `candidate.invoices` must
    reflect the invoices' state as of `at` (the caller re-reads them before sending).
    """
    if at.tzinfo is None:
        raise ValueError("check() needs a timezone-aware instant")
    denials = invoice_denials(candidate, holds, at)
    if denials:
        first = denials[0]
        return Decision("deny", first.reason_code, first.reason_es, first.reason_en, rule_id=first.rule_id)
    if not candidate.invoices:
        return _deny("no_open_invoices", "No hay facturas por recordar.", "There are no invoices to remind of.")
    channel_denial = _channel_denial(candidate, profile)
    if channel_denial is not None:
        return channel_denial

    zones = resolve_zones(profile.timezone)
    contacted_today = any(same_local_day(previous, at, zones) for previous in history)
    in_window = is_within_window(at, zones)
    if not contacted_today and in_window:
        return Decision("allow", "allowed", "Permitido.", "Allowed.", rule_id=RULE_PACK_ID)

    # Walk forward until both rules hold: a later scheduled contact may push it another day.
    when = at
    for _ in range(len(history) + 3):
        if any(same_local_day(previous, when, zones) for previous in history):
            when = start_of_next_local_day(when, zones)
        when = next_allowed_instant(when, zones)
        if not any(same_local_day(previous, when, zones) for previous in history):
            break
    if contacted_today:
        return Decision(
            "defer",
            "daily_limit",
            "Ya se envió un recordatorio hoy (hora local del deudor); se pospone al día siguiente.",
            "A reminder was already sent today (debtor-local); postponed to the next day.",
            next_allowed_at=when,
            rule_id=f"{RULE_PACK_ID}/daily_limit",
        )
    return Decision(
        "defer",
        "outside_contact_window",
        "Fuera del horario permitido (07:00 a 22:00, hora local del deudor).",
        "Outside the allowed hours (07:00 to 22:00, debtor-local time).",
        next_allowed_at=when,
        rule_id=f"{RULE_PACK_ID}/contact_window",
    )
