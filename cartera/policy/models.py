"""What the contact policy engine takes in and gives back.

Inputs are frozen dataclasses built by the caller (the campaigns stage) from the warehouse; none
holds a name, an address, an e-mail or a phone number: only ids, flags, instants and codes.
Each input checks itself when it is built (``cartera/policy/inputs.py``): wrong types, unknown
channels or outcomes, a string where a collection is expected and naive instants raise
:class:`~cartera.policy.inputs.PolicyInputError` (a PolicyError and a ValueError) naming the
field; codes are lower-cased. Two unknowns are decided rather than rejected, because a deny is
audited: a candidate's unknown channel (``unknown_channel``) and a hold's unknown kind
(``hold_unknown``, whatever its dates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cartera.policy import inputs

Channel = Literal["email", "sms", "whatsapp", "call"]
CHANNELS: tuple[str, ...] = ("email", "sms", "whatsapp", "call")
Verdict = Literal["allow", "defer", "deny"]
HoldKind = Literal["dispute", "promise_to_pay", "do_not_contact", "legal"]
HOLD_KINDS: tuple[str, ...] = ("dispute", "promise_to_pay", "do_not_contact", "legal")
Outcome = Literal["sent", "delivered", "bounced", "failed"]
OUTCOMES: tuple[str, ...] = ("sent", "delivered", "bounced", "failed")
OPT_OUT_CODES: frozenset[str] = frozenset(CHANNELS) | {"all"}
# Who a message is addressed to. The debtor is the default; the packs say which others the law
# lets a collector write to (``kind: recipients`` rules).
RECIPIENT_ROLES: tuple[str, ...] = (
    "debtor",
    "guarantor",
    "joint_obligor",
    "authorised_contact",
    "family",
    "employer",
    "third_party",
)
# Spanish and common synonyms a caller may use, mapped to one role.
ROLE_ALIASES: dict[str, str] = {
    "aval": "guarantor",
    "avalista": "guarantor",
    "fiador": "guarantor",
    "obligado_solidario": "joint_obligor",
    "deudor_solidario": "joint_obligor",
    "codeudor": "joint_obligor",
    "co_debtor": "joint_obligor",
    "authorized_contact": "authorised_contact",
    "contacto_autorizado": "authorised_contact",
    "reference": "third_party",
    "referencia": "third_party",
    "personal_reference": "third_party",
    "familiar": "family",
    "empleador": "employer",
}


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
    recipient_role: str = "debtor"

    def __post_init__(self) -> None:
        name = "Candidate"
        inputs.text(name, "customer_id", self.customer_id)
        object.__setattr__(self, "channel", inputs.code(name, "channel", self.channel))
        object.__setattr__(self, "invoice_ids", inputs.ids(name, "invoice_ids", self.invoice_ids))
        inputs.instant(name, "proposed_at", self.proposed_at)
        role = inputs.code(name, "recipient_role", self.recipient_role).replace("-", "_").replace(" ", "_")
        role = ROLE_ALIASES.get(role, role)
        if role not in RECIPIENT_ROLES:
            raise inputs.PolicyInputError(name, "recipient_role", f"one of {list(RECIPIENT_ROLES)} (or an alias)")
        object.__setattr__(self, "recipient_role", role)


@dataclass(frozen=True, slots=True)
class ContactProfile:
    """What the rules need to know about a debtor's contact, without the contact data itself.

    Time zone sources, most precise first: `timezone` (IANA name from the address), `state`
    (ISO 3166-2 subdivision code without the country, e.g. ``SON``), `phone_area_code`. When two
    sources disagree the engine uses every candidate zone (the window must hold in all of them);
    when none is usable it uses every zone of the country (the strictest reading).

    `consented_channels` are the channels the debtor authorised (Colombia requires it);
    `opted_out_channels` may hold ``"all"``; an opt-out known to the caller takes effect at once
    (a contact's per-channel opt-out flags belong here, folded in when the profile is loaded).
    `reachable_channels` are the channels the contact has an address for (e-mail: an address;
    SMS and WhatsApp: a mobile) — whether one exists, never the address. The engine's rules do not
    read it (every channel by default); the caller does before asking (the campaigns deny a
    channel without an address with their own rule, ``CAMPAIGNS/no_address``).
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
    reachable_channels: frozenset[str] = frozenset(CHANNELS)

    def __post_init__(self) -> None:
        name = "ContactProfile"
        inputs.text(name, "customer_id", self.customer_id)
        country = inputs.text(name, "country", self.country).strip().upper()
        if len(country) != 2 or not country.isascii() or not country.isalpha():
            raise inputs.PolicyInputError(name, "country", "an ISO 3166-1 alpha-2 code such as 'MX'")
        object.__setattr__(self, "country", country)
        inputs.flag(name, "is_consumer", self.is_consumer)
        object.__setattr__(self, "timezone", inputs.optional_text(name, "timezone", self.timezone))
        state = inputs.optional_text(name, "state", self.state)
        object.__setattr__(self, "state", state.upper() if state else None)
        object.__setattr__(self, "phone_area_code", inputs.optional_text(name, "phone_area_code", self.phone_area_code))
        # "es-MX" -> "es": the packs' content rules are per language, not per locale.
        language = inputs.code(name, "language", self.language).replace("_", "-").split("-")[0]
        if not 2 <= len(language) <= 3 or not language.isascii() or not language.isalpha():
            raise inputs.PolicyInputError(name, "language", "a language code such as 'es' or 'en-US'")
        object.__setattr__(self, "language", language)
        consented = inputs.codes(name, "consented_channels", self.consented_channels, CHANNELS)
        object.__setattr__(self, "consented_channels", consented)
        opted_out = inputs.codes(name, "opted_out_channels", self.opted_out_channels, OPT_OUT_CODES)
        object.__setattr__(self, "opted_out_channels", opted_out)
        inputs.flag(name, "whatsapp_opt_in", self.whatsapp_opt_in)
        reachable = inputs.codes(name, "reachable_channels", self.reachable_channels, CHANNELS)
        object.__setattr__(self, "reachable_channels", reachable)


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

    def __post_init__(self) -> None:
        name = "SentMessage"
        inputs.instant(name, "at", self.at)
        # An unknown channel could not be counted by any cap: refuse it rather than undercount.
        object.__setattr__(self, "channel", inputs.code(name, "channel", self.channel, CHANNELS))
        object.__setattr__(self, "invoice_ids", inputs.ids(name, "invoice_ids", self.invoice_ids))
        inputs.flag(name, "direct_contact", self.direct_contact)
        object.__setattr__(self, "outcome", inputs.code(name, "outcome", self.outcome, OUTCOMES))


@dataclass(frozen=True, slots=True)
class Hold:
    """A stop on collection: one invoice, or every invoice of the customer when `invoice_id` is None.

    A hold is in force until `released_at` or `until`, whichever is first; with neither it never
    ends and the engine denies. A promise to pay should carry `until` (the promised date as an
    instant): the engine defers to it plus the rule pack's grace period.

    `opened_at` (None: open since before any instant asked about) and `reason` (where the hold
    came from, e.g. ``ops.holds.reason`` ``payment_reported``, which the caller maps to a `kind`)
    are the caller's record of the hold: the engine decides on `kind`, `until` and `released_at`;
    the caller passes only holds opened by the instant it asks about (:meth:`is_open`).
    """

    kind: str
    invoice_id: str | None = None
    until: dt.datetime | None = None
    released_at: dt.datetime | None = None
    opened_at: dt.datetime | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        name = "Hold"
        # Lower-cased but not restricted: an unknown kind is kept and denied (fail closed).
        object.__setattr__(self, "kind", inputs.code(name, "kind", self.kind))
        if self.invoice_id is not None:
            inputs.text(name, "invoice_id", self.invoice_id)
        inputs.optional_instant(name, "until", self.until)
        inputs.optional_instant(name, "released_at", self.released_at)
        inputs.optional_instant(name, "opened_at", self.opened_at)
        object.__setattr__(self, "reason", inputs.optional_text(name, "reason", self.reason))

    def end(self) -> dt.datetime | None:
        ends = [moment for moment in (self.until, self.released_at) if moment is not None]
        return min(ends) if ends else None

    def is_open(self, at: dt.datetime) -> bool:
        """Opened by `at` and not released by then (`until` aside: a dated hold is the rules')."""
        return (self.opened_at is None or self.opened_at <= at) and (self.released_at is None or self.released_at > at)

    def covers(self, invoice_id: str) -> bool:
        """Whether the hold stops `invoice_id` (a customer-wide hold stops every invoice)."""
        return self.invoice_id is None or self.invoice_id == invoice_id


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment received (since the batch was built, or recently): which invoice and when."""

    invoice_id: str
    at: dt.datetime
    settles_invoice: bool = True

    def __post_init__(self) -> None:
        name = "Payment"
        inputs.text(name, "invoice_id", self.invoice_id)
        inputs.instant(name, "at", self.at)
        inputs.flag(name, "settles_invoice", self.settles_invoice)


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule that decided: the engine's reasons are rules that did not let the message go out at
    the proposed instant (effect "defer" or "deny"); a caller's own rule may also say why it let
    one go ("allow", e.g. the playbook's escalation or the learner's choice)."""

    code: str
    rule_id: str
    effect: Verdict
    es: str
    en: str
    verification: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict on one candidate: the engine's, and the one shape every contact decision takes
    (the campaigns' own rules — collectibility, the playbook, the learner — decide in it too, with
    their rule set as `rule_pack_id`, e.g. ``CAMPAIGNS``), so one audit table holds them all.

    `next_allowed_at` (UTC) is set only for "defer": the earliest instant >= the proposed one
    that this same engine allows, given the same inputs. `blocked_invoice_ids` are the invoices
    a denial concerns (paid, held, not collectible): rebuild the message without them. `content_sha256` identifies the
    rendered text when the decision judged one (``decide(content=...)``). `reasons` lists every rule that failed
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
    content_sha256: str | None = None  # SHA-256 of the rendered text judged with the decision

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
