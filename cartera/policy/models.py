"""What the contact policy engine takes in and gives back.

Inputs are frozen dataclasses built by the caller (the campaigns stage) from the warehouse; none
holds a name, an address, an e-mail or a phone number: only ids, flags, instants and codes. Every
instant is timezone-aware; the engine raises ``ValueError`` on a naive one instead of guessing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Channel = Literal["email", "sms", "whatsapp", "call"]
CHANNELS: tuple[str, ...] = ("email", "sms", "whatsapp", "call")
Verdict = Literal["allow", "defer", "deny"]
HoldKind = Literal["dispute", "promise_to_pay", "do_not_contact", "legal"]
HOLD_KINDS: tuple[str, ...] = ("dispute", "promise_to_pay", "do_not_contact", "legal")
Outcome = Literal["sent", "delivered", "bounced", "failed"]


def require_aware(at: dt.datetime, what: str) -> None:
    """Refuse naive instants: a wall-clock time without a zone cannot be checked against a window."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One proposed message: who, by which channel, about which invoices, and when."""

    customer_id: str
    channel: str
    invoice_ids: tuple[str, ...]
    proposed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ContactProfile:
    """What the rules need to know about a debtor's contact, without the contact data itself.

    Time zone sources, most precise first: `timezone` (IANA name from the address), `state`
    (ISO 3166-2 subdivision code without the country, e.g. ``SON``), `phone_area_code`. When two
    sources disagree the engine uses every candidate zone (the window must hold in all of them);
    when none is usable it uses every zone of the country (the strictest reading).

    `consented_channels` are the channels the debtor authorised (Colombia requires it);
    `opted_out_channels` may hold ``"all"``; an opt-out known to the caller takes effect at once.
    """

    customer_id: str
    country: str
    is_consumer: bool
    timezone: str | None = None
    state: str | None = None
    phone_area_code: str | None = None
    language: str = "es"
    consented_channels: frozenset[str] = frozenset(CHANNELS)
    opted_out_channels: frozenset[str] = frozenset()
    whatsapp_opt_in: bool = False


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message already sent (or, at build time, already scheduled) to this customer.

    `direct_contact` is True when a conversation with the debtor happened (a call answered by
    them, a reply). Bounced and failed messages still count as attempts for the caps (the
    conservative reading) and also pause their channel.
    """

    at: dt.datetime
    channel: str
    invoice_ids: tuple[str, ...] = ()
    direct_contact: bool = False
    outcome: str = "sent"


@dataclass(frozen=True, slots=True)
class Hold:
    """A stop on collection: one invoice, or every invoice of the customer when `invoice_id` is None.

    A hold is in force until `released_at` or `until`, whichever is first; with neither it never
    ends and the engine denies. A promise to pay should carry `until` (the promised date as an
    instant): the engine defers to it plus the rule pack's grace period.
    """

    kind: str
    invoice_id: str | None = None
    until: dt.datetime | None = None
    released_at: dt.datetime | None = None

    def end(self) -> dt.datetime | None:
        ends = [moment for moment in (self.until, self.released_at) if moment is not None]
        return min(ends) if ends else None


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment received (since the batch was built, or recently): which invoice and when."""

    invoice_id: str
    at: dt.datetime
    settles_invoice: bool = True


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule that did not let the message go out at the proposed instant."""

    code: str
    rule_id: str
    effect: Literal["defer", "deny"]
    es: str
    en: str
    verification: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict on one candidate, shaped like ``cartera.campaigns.contact_check.Decision``.

    `next_allowed_at` (UTC) is set only for "defer": the earliest instant >= the proposed one
    that this same engine allows, given the same inputs. `reasons` lists every rule that failed
    at the proposed instant, denials first; `reason_code`/`rule_id`/`reason_es`/`reason_en` are
    those of the first. `inputs_summary` has no personal data and goes to the audit table.
    """

    verdict: Verdict
    reasons: tuple[Reason, ...]
    rule_pack_id: str
    rule_pack_version: str
    next_allowed_at: dt.datetime | None = None
    blocked_invoice_ids: tuple[str, ...] = ()
    inputs_summary: Mapping[str, Any] = field(default_factory=dict)

    @property
    def reason_code(self) -> str:
        return self.reasons[0].code if self.reasons else "allowed"

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.reasons)

    @property
    def rule_id(self) -> str:
        return self.reasons[0].rule_id if self.reasons else self.rule_pack_id

    @property
    def reason_es(self) -> str:
        return " ".join(r.es for r in self.reasons) if self.reasons else "Permitido: cumple todas las reglas del país."

    @property
    def reason_en(self) -> str:
        return " ".join(r.en for r in self.reasons) if self.reasons else "Allowed: meets every rule of the country."
