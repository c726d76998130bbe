"""May this message go out at this instant? One function, :func:`check`, used when a batch is
built AND again just before sending (with the invoices re-read from the warehouse).

It decides on the policy engine's own inputs (:class:`~cartera.policy.models.ContactProfile`,
:class:`~cartera.policy.models.Hold`) and answers with its :class:`~cartera.policy.models.Decision`,
in three layers, in order:

1. **Collectibility** (this module, per invoice): an invoice that is paid or no longer open,
   disputed, or under a hold that stops it for good is never mentioned in a reminder. At build
   time those invoices are taken out of the message (:func:`invoice_denials`, one denial per
   invoice, named in `blocked_invoice_ids`); at send time any of them cancels the message (the
   text was written with it). Rule ids ``CAMPAIGNS/...``, rule set ``CAMPAIGNS``.
2. **Reachability**: a channel the contact has no address for (the profile's
   `reachable_channels`) is denied, ``CAMPAIGNS/no_address`` or ``CAMPAIGNS/no_mobile``.
3. **Contact law** (:mod:`cartera.policy`, the country's rule pack plus the creditor's settings):
   contact window in the debtor's zone, frequency caps across channels, quiet period after a
   payment, holds with an end (a promise to pay defers to its date plus grace), opt-outs and
   channel consent, and — when the caller passes the report of the rendered text
   (:mod:`cartera.campaigns.content_check`) — what the message says. The engine's verdict (allow, defer with the exact next allowed
   instant, or deny), its rule id and its rule-pack version are returned.

The caller writes every decision, whichever layer took it, to ``ops.contact_decisions``
(:func:`cartera.policy.audit.record_decisions`). Denials win over deferrals: a message that must
never go out is not merely postponed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import yaml

from cartera.campaigns.candidates import Candidate
from cartera.campaigns.decisions import ruled
from cartera.errors import PolicyError
from cartera.policy import models as pm
from cartera.policy.content import ContentReport
from cartera.policy.engine import PolicyEngine
from cartera.policy.models import ContactProfile, Decision, Hold

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
# A channel without an address: (code, es, en).
_UNREACHABLE = {
    "email": ("no_address", "El contacto no tiene correo electrónico.", "The contact has no email address."),
    "sms": ("no_mobile", "El contacto no tiene número celular.", "The contact has no mobile number."),
    "whatsapp": ("no_mobile", "El contacto no tiene número celular.", "The contact has no mobile number."),
}


def hold_from(
    reason: str,
    invoice_id: str | None,
    opened_at: dt.datetime | None,
    *,
    released_at: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Hold:
    """The engine's hold for a stop recorded with `reason` (an ``ops.holds`` reason, mapped to
    the engine's kind by :data:`HOLD_KINDS`; an unknown one is kept, and the engine denies it)."""
    return Hold(
        HOLD_KINDS.get(reason, reason),
        invoice_id,
        until=until,
        released_at=released_at,
        opened_at=opened_at,
        reason=reason,
    )


def _ends(hold: Hold) -> bool:
    """A promise to pay with a date ends by itself: the engine defers past it."""
    return hold.kind == "promise_to_pay" and hold.until is not None


def _deny(code: str, es: str, en: str, invoice_ids: Sequence[str] = ()) -> Decision:
    return ruled("deny", code, es, en, rule_id=f"{CAMPAIGN_RULES}/{code}", blocked_invoice_ids=invoice_ids)


def invoice_denials(candidate: Candidate, holds: Sequence[Hold], at: dt.datetime) -> list[Decision]:
    """One deny decision per invoice of `candidate` that must not be mentioned in a reminder
    (the invoice in its `blocked_invoice_ids`): paid or no longer open, disputed, or under an open
    hold of the customer (`holds`) that does not end by itself (a promise to pay with a date is
    left to the engine, which defers). Empty when all are collectible."""
    denials = []
    stops = [h for h in holds if h.is_open(at) and not _ends(h)]
    for item in candidate.invoices:
        if not item.is_open:
            denials.append(
                _deny(
                    "invoice_not_open",
                    "La factura ya está pagada o cerrada.",
                    "The invoice is paid or closed.",
                    (item.invoice_id,),
                )
            )
        elif item.is_disputed:
            denials.append(
                _deny("invoice_disputed", "La factura está en disputa.", "The invoice is disputed.", (item.invoice_id,))
            )
        elif any(h.covers(item.invoice_id) for h in stops):
            denials.append(
                _deny(
                    "invoice_on_hold",
                    "La factura tiene una suspensión activa.",
                    "The invoice is on hold.",
                    (item.invoice_id,),
                )
            )
    return denials


def _merge_denials(denials: Sequence[Decision]) -> Decision:
    """One denial for the whole message: every distinct reason, first first, every blocked invoice."""
    reasons: dict[str, pm.Reason] = {}
    for denial in denials:
        for reason in denial.reasons:
            reasons.setdefault(reason.code, reason)
    blocked = [invoice for denial in denials for invoice in denial.blocked_invoice_ids]
    first = denials[0]
    return Decision(
        "deny",
        tuple(reasons.values()),
        rule_pack_id=first.rule_pack_id,
        rule_pack_version=first.rule_pack_version,
        blocked_invoice_ids=tuple(dict.fromkeys(blocked)),
    )


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
    """Whether the contact can receive `channel` at all: e-mail and SMS need an address for the
    channel (`reachable_channels`), WhatsApp a mobile and an opt-in; none opted out
    (`opted_out_channels`: ops.opt_outs and the contact's flags; 'all' blocks every channel).
    The law and the caps are :func:`check`'s."""
    if channel not in _UNREACHABLE or channel not in profile.reachable_channels:
        return False
    if {"all", channel} & profile.opted_out_channels:
        return False
    return channel != "whatsapp" or profile.whatsapp_opt_in


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

    `profile` and `holds` are the candidate's customer's. `history` holds the reminders already
    sent (or, at build time, already scheduled) to this customer on any channel, excluding this
    candidate itself. `candidate.invoices` must reflect the invoices' state as of `at` (the
    caller re-reads them before sending). `payments` are the customer's recent payments (quiet
    period after a payment). `content`: the content report of the rendered message
    (:func:`cartera.campaigns.content_check.check_rendered`, with the same engine): its
    violations deny with their rule ids, and its SHA-256 is kept with the decision."""
    if at.tzinfo is None:
        raise ValueError("check() needs a timezone-aware instant")
    denials = invoice_denials(candidate, holds, at)
    if denials:
        return _merge_denials(denials)
    if not candidate.invoices:
        return _deny("no_open_invoices", "No hay facturas por recordar.", "There are no invoices to remind of.")
    channel = candidate.channel
    if channel is None:
        return _deny(
            "no_channel", "No hay un canal disponible para este paso.", "No channel is available for this step."
        )
    # An opt-out is the engine's to deny (its rule id says which law), address or not.
    if channel in _UNREACHABLE and channel not in profile.reachable_channels:
        if channel not in profile.opted_out_channels:
            return _deny(*_UNREACHABLE[channel])
    asked = pm.Candidate(profile.customer_id, channel, candidate.invoice_ids, at)
    opened = [h for h in holds if h.opened_at is None or h.opened_at <= at]
    return (engine or policy_engine()).decide(asked, profile, history, opened, payments, content=content)
