"""May this message go out at this instant? One function, :func:`check`, used when a batch is
built AND again just before sending (with the invoices re-read from the warehouse).

Two layers, in order:

1. **Collectibility** (this module, per invoice): an invoice that is paid or no longer open,
   disputed, or under a hold that stops it for good is never mentioned in a reminder. At build
   time those invoices are taken out of the message (:func:`invoice_denials`); at send time any
   of them cancels the message (the text was written with it).
2. **Contact law** (:mod:`cartera.policy`, the country's rule pack plus the creditor's settings):
   contact window in the debtor's zone, frequency caps across channels, quiet period after a
   payment, holds with an end (a promise to pay defers to its date plus grace), opt-outs and
   channel consent, and — when the caller passes the report of the rendered text
   (:mod:`cartera.campaigns.content_check`) — what the message says. The engine's verdict (allow, defer with the exact next allowed instant, or
   deny), its rule id and its rule-pack version are returned, and the service writes them to
   ``ops.policy_decisions``.

Denials win over deferrals: a message that must never go out is not merely postponed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

from cartera.campaigns.candidates import Candidate
from cartera.errors import PolicyError
from cartera.policy import models as pm
from cartera.policy.content import ContentReport
from cartera.policy.engine import PolicyEngine

Verdict = Literal["allow", "defer", "deny"]
CAMPAIGN_RULES = "CAMPAIGNS"
# ops.holds reasons -> the engine's hold kinds. 'payment_reported' (the customer says they paid)
# stops reminders until someone confirms or releases it; 'manual' is a collector's do-not-contact;
# 'fraud_review' (an anomaly alert confirmed as fraud, cartera/sql/70_anomalies.sql) stops them all.
HOLD_KINDS = {
    "dispute": "dispute",
    "promise_to_pay": "promise_to_pay",
    "payment_reported": "do_not_contact",
    "legal": "legal",
    "manual": "do_not_contact",
    "fraud_review": "do_not_contact",
}


@dataclass(frozen=True)
class ContactProfile:
    """What the rules need to know about a debtor's contact (no address itself: only whether
    one exists). `opted_out_channels` holds channels from ops.opt_outs effective now ('all'
    blocks every channel). `country`/`state` pick the rule pack and, with `timezone`, the zones."""

    customer_id: str
    timezone: str | None
    has_email: bool
    email_opt_out: bool = False
    whatsapp_opt_in: bool = False
    has_mobile: bool = False
    sms_opt_out: bool = False
    opted_out_channels: frozenset[str] = field(default_factory=frozenset)
    country: str = "MX"
    state: str | None = None
    language: str = "es"
    is_consumer: bool = False

    def for_policy(self) -> pm.ContactProfile:
        opted_out = (
            set(self.opted_out_channels)
            | ({"email"} if self.email_opt_out else set())
            | ({"sms"} if self.sms_opt_out else set())
        )
        return pm.ContactProfile(
            customer_id=self.customer_id,
            country=(self.country or "MX").upper(),
            is_consumer=self.is_consumer,
            timezone=self.timezone or None,
            state=self.state or None,
            language=(self.language or "es")[:2],
            opted_out_channels=frozenset(opted_out),
            whatsapp_opt_in=self.whatsapp_opt_in,
        )


@dataclass(frozen=True)
class Hold:
    """A row of ops.holds: a stop on one invoice, or on all of a customer's invoices when
    `invoice_id` is None. `until` (a promise to pay's date) lets the engine defer instead of deny."""

    customer_id: str
    invoice_id: str | None
    reason: str
    opened_at: dt.datetime
    released_at: dt.datetime | None = None
    until: dt.datetime | None = None

    def is_open(self, at: dt.datetime) -> bool:
        return self.opened_at <= at and (self.released_at is None or self.released_at > at)

    def covers(self, invoice_id: str) -> bool:
        return self.invoice_id is None or self.invoice_id == invoice_id

    @property
    def ends(self) -> bool:
        """A promise to pay with a date ends by itself: the engine defers past it."""
        return self.reason == "promise_to_pay" and self.until is not None

    def for_policy(self) -> pm.Hold:
        return pm.Hold(
            kind=HOLD_KINDS.get(self.reason, self.reason),
            invoice_id=self.invoice_id,
            until=self.until,
            released_at=self.released_at,
        )


@dataclass(frozen=True)
class Decision:
    """The verdict on one candidate (or one invoice of it, when `invoice_id` is set).

    `policy` is the engine's own decision (None when collectibility already decided), with the
    engine's view of the message in `policy_candidate`, for the audit."""

    verdict: Verdict
    reason_code: str
    reason_es: str
    reason_en: str
    next_allowed_at: dt.datetime | None = None
    rule_id: str = CAMPAIGN_RULES
    invoice_id: str | None = None
    rule_pack_version: str | None = None
    policy: pm.Decision | None = None
    policy_candidate: pm.Candidate | None = None


def _deny(code: str, es: str, en: str, invoice_id: str | None = None) -> Decision:
    return Decision("deny", code, es, en, rule_id=f"{CAMPAIGN_RULES}/{code}", invoice_id=invoice_id)


def invoice_denials(candidate: Candidate, holds: Sequence[Hold], at: dt.datetime) -> list[Decision]:
    """One deny decision per invoice of `candidate` that must not be mentioned in a reminder:
    paid or no longer open, disputed, or under an open hold that does not end by itself (a
    promise to pay with a date is left to the engine, which defers). Empty when all are collectible."""
    denials = []
    stops = [h for h in holds if h.customer_id == candidate.customer_id and h.is_open(at) and not h.ends]
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
        elif any(h.covers(item.invoice_id) for h in stops):
            denials.append(
                _deny(
                    "invoice_on_hold",
                    "La factura tiene una suspensión activa.",
                    "The invoice is on hold.",
                    item.invoice_id,
                )
            )
    return denials


@lru_cache(maxsize=8)
def _engine(creditor_file: str | None) -> PolicyEngine:
    creditor = None
    if creditor_file:
        path = Path(creditor_file)
        try:
            creditor = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PolicyError(f"cannot read the creditor's contact settings {path}: {exc}") from exc
    return PolicyEngine.load(creditor=creditor)


def can_receive(channel: str, profile: ContactProfile) -> bool:
    """Whether the contact can receive `channel` at all: e-mail needs an address and no e-mail
    opt-out, SMS a mobile and no SMS opt-out, WhatsApp a mobile and an opt-in; none opted out in
    ops.opt_outs ('all' blocks every channel). The law and the caps are :func:`check`'s."""
    if {"all", channel} & profile.opted_out_channels:
        return False
    if channel == "email":
        return profile.has_email and not profile.email_opt_out
    if channel == "sms":
        return profile.has_mobile and not profile.sms_opt_out
    if channel == "whatsapp":
        return profile.has_mobile and profile.whatsapp_opt_in
    return False


def policy_engine() -> PolicyEngine:
    """Every country's rule pack with the creditor's settings (CARTERA_POLICY_CREDITOR_FILE) applied.
    Loaded once per process; a bad pack or a setting looser than the law raises PolicyError."""
    from cartera.config import get_settings

    path = get_settings().policy_creditor_file
    return _engine(str(path) if path else None)


def check(
    candidate: Candidate,
    profile: ContactProfile,
    history: Sequence[pm.SentMessage],
    holds: Sequence[Hold],
    at: dt.datetime,
    *,
    payments: Sequence[pm.Payment] = (),
    engine: PolicyEngine | None = None,
    content: ContentReport | None = None,
) -> Decision:
    """Decide whether `candidate` may be sent at `at` (timezone-aware).

    `history` holds the reminders already sent (or, at build time, already scheduled) to this
    customer on any channel, excluding this candidate itself. `candidate.invoices` must reflect
    the invoices' state as of `at` (the caller re-reads them before sending). `payments` are the
    customer's recent payments (quiet period after a payment). `content`: the content report of
    the rendered message (:func:`cartera.campaigns.content_check.check_rendered`, with the same
    engine): its violations deny with their rule ids, and its SHA-256 is kept with the decision."""
    if at.tzinfo is None:
        raise ValueError("check() needs a timezone-aware instant")
    denials = invoice_denials(candidate, holds, at)
    if denials:
        first = denials[0]
        return Decision("deny", first.reason_code, first.reason_es, first.reason_en, rule_id=first.rule_id)
    if not candidate.invoices:
        return _deny("no_open_invoices", "No hay facturas por recordar.", "There are no invoices to remind of.")
    channel = candidate.channel
    if channel is None:
        return _deny(
            "no_channel", "No hay un canal disponible para este paso.", "No channel is available for this step."
        )
    policy_profile = profile.for_policy()
    if channel == "email" and not profile.has_email and channel not in policy_profile.opted_out_channels:
        return _deny("no_address", "El contacto no tiene correo electrónico.", "The contact has no email address.")
    if channel in ("sms", "whatsapp") and not profile.has_mobile and channel not in policy_profile.opted_out_channels:
        return _deny("no_mobile", "El contacto no tiene número celular.", "The contact has no mobile number.")

    asked = pm.Candidate(profile.customer_id, channel, candidate.invoice_ids, at)
    engine_holds = [h.for_policy() for h in holds if h.customer_id == candidate.customer_id and h.opened_at <= at]
    verdict = (engine or policy_engine()).decide(
        asked, policy_profile, history, engine_holds, payments, content=content
    )
    return Decision(
        verdict.verdict,
        verdict.reason_code,
        verdict.reason_es,
        verdict.reason_en,
        next_allowed_at=verdict.next_allowed_at,
        rule_id=verdict.rule_id,
        rule_pack_version=verdict.rule_pack_version,
        policy=verdict,
        policy_candidate=asked,
    )
