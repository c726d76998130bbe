"""Stops that do not depend on the hour: who the message is addressed to, consent and opt-outs,
holds (dispute, promise to pay, do-not-contact, legal), invoices paid since the batch was built,
and the pauses after a payment or a bounce.

Denials here are final for the candidate as built (the caller must rebuild it, e.g. without a
paid invoice); pauses give the end of the pause as a lower bound, like the caps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cartera.policy.models import CHANNELS, HOLD_KINDS, Candidate, ContactProfile, Hold, Payment, SentMessage
from cartera.policy.rules import ConsentRule, DurationRule, HoldRule, RulePack, RuleSet


@dataclass(frozen=True, slots=True)
class Denial:
    """A rule that forbids the candidate outright, with the invoices it concerns (if any)."""

    code: str
    rule_id: str
    verification: str
    invoice_ids: tuple[str, ...] = ()
    values: tuple[tuple[str, str], ...] = ()  # placeholders of the code's sentence


@dataclass(frozen=True, slots=True)
class Pause:
    """A hold with a known end: no message before `until`."""

    code: str
    rule_id: str
    verification: str
    until: dt.datetime


def consent_denials(pack: RulePack, rules: RuleSet, candidate: Candidate, profile: ContactProfile) -> list[Denial]:
    """Channel not usable: unknown, disabled by the creditor, opted out, or without required consent."""
    channel = candidate.channel
    if channel not in CHANNELS:
        return [Denial("unknown_channel", f"{pack.id}/channels", "design")]
    found: list[Denial] = []
    if channel in pack.disabled_channels:
        found.append(Denial("channel_disabled", f"creditor:{pack.creditor_id}/disabled_channels", "creditor"))
    for rule in rules.consents:
        if _consent_fails(rule, channel, profile):
            code = {"opt_out": "opted_out", "whatsapp_opt_in": "no_whatsapp_opt_in"}.get(
                rule.require, "channel_not_authorised"
            )
            found.append(Denial(code, rule.meta.id, rule.meta.verification))
    return found


_ROLE_TEXT = {
    "debtor": ("deudor", "debtor"),
    "guarantor": ("aval o fiador", "guarantor"),
    "joint_obligor": ("obligado solidario", "joint obligor"),
    "authorised_contact": ("contacto autorizado por el deudor", "contact authorised by the debtor"),
    "family": ("familiar del deudor", "member of the debtor's family"),
    "employer": ("empleador del deudor", "debtor's employer"),
    "third_party": ("tercero o referencia", "third party or reference"),
}


def recipient_denials(rules: RuleSet, candidate: Candidate) -> list[Denial]:
    """The recipient's role must be allowed by every recipients rule (the platform's and the
    country's). No rule for the channel denies too: an unknown law allows nobody."""
    role = candidate.recipient_role
    es, en = _ROLE_TEXT[role]
    values = (("role_es", es), ("role_en", en))
    if not rules.recipients:
        return [Denial("recipient_not_allowed", "no_recipients_rule", "design", values=values)]
    return [
        Denial("recipient_not_allowed", rule.meta.id, rule.meta.verification, values=values)
        for rule in rules.recipients
        if role not in rule.allowed
    ]


def _consent_fails(rule: ConsentRule, channel: str, profile: ContactProfile) -> bool:
    if rule.require == "opt_out":
        return "all" in profile.opted_out_channels or channel in profile.opted_out_channels
    if rule.require == "whatsapp_opt_in":
        return channel == "whatsapp" and not profile.whatsapp_opt_in
    return channel not in profile.consented_channels


def paid_denial(pack: RulePack, candidate: Candidate, payments: Sequence[Payment]) -> Denial | None:
    """Deny when any invoice of the message was paid: the message as built would claim a paid debt."""
    ids = set(candidate.invoice_ids)
    paid = tuple(sorted({p.invoice_id for p in payments if p.settles_invoice and p.invoice_id in ids}))
    if paid:
        return Denial("invoice_paid", f"{pack.id}/paid_invoices", "design", paid)
    if not candidate.invoice_ids:
        return Denial("no_invoices", f"{pack.id}/paid_invoices", "design")
    return None


def hold_effects(
    rules: RuleSet, candidate: Candidate, holds: Sequence[Hold], s: dt.datetime
) -> tuple[list[Denial], list[Pause]]:
    """Holds in force at `s` on this customer or on an invoice of the message.

    A hold without an end denies; a hold with an end pauses until it (a promise to pay until its
    date plus the longest grace). A hold of a kind the engine does not know denies whatever its
    dates say (its `until` may not mean an end), unless it was released: never fall back to
    allowing."""
    ids = set(candidate.invoice_ids)
    grace = max((rule.duration for rule in rules.promise_grace), default=dt.timedelta(0))
    denials: list[Denial] = []
    pauses: list[Pause] = []
    for hold in holds:
        if hold.invoice_id is not None and hold.invoice_id not in ids:
            continue
        if hold.kind not in HOLD_KINDS:
            if hold.released_at is None or s < hold.released_at:
                invoices = (hold.invoice_id,) if hold.invoice_id else ()
                denials.append(Denial("hold_unknown", "unknown_hold", "design", invoices))
            continue
        end = hold.end()
        if hold.kind == "promise_to_pay" and hold.until is not None:
            # Quiet until the promised date plus grace for the payment to be posted.
            end = hold.until + grace if hold.released_at is None else min(hold.until + grace, hold.released_at)
        if end is not None and s >= end:
            continue
        rule = _rule_for(rules.holds, hold.kind)
        rule_id = rule.meta.id if rule else "unknown_hold"
        verification = rule.meta.verification if rule else "design"
        code = f"hold_{hold.kind}"
        if end is None:
            invoices = (hold.invoice_id,) if hold.invoice_id else ()
            denials.append(Denial(code, rule_id, verification, invoices))
        else:
            pauses.append(Pause(code, rule_id, verification, end))
    return denials, pauses


def _rule_for(rules: tuple[HoldRule, ...], kind: str) -> HoldRule | None:
    return next((rule for rule in rules if kind in rule.kinds), None)


def duration_pauses(
    rules: RuleSet, channel: str, history: Sequence[SentMessage], payments: Sequence[Payment], s: dt.datetime
) -> list[Pause]:
    """Quiet period after any payment by the customer, and the pause of a channel after a bounce."""
    pauses: list[Pause] = []
    pauses.extend(_after(rules.quiet_after_payment, "quiet_after_payment", [p.at for p in payments], s))
    bounced = [m.at for m in history if m.channel == channel and m.outcome in ("bounced", "failed")]
    pauses.extend(_after(rules.bounce_pause, "paused_after_bounce", bounced, s))
    return pauses


def _after(rules: tuple[DurationRule, ...], code: str, events: list[dt.datetime], s: dt.datetime) -> list[Pause]:
    found = []
    for rule in rules:
        ends = [at + rule.duration for at in events if at <= s < at + rule.duration]
        if ends:
            found.append(Pause(code, rule.meta.id, rule.meta.verification, max(ends)))
    return found
