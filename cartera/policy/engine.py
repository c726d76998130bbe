"""Decide allow / defer / deny for one candidate message, with the rule that decided it.

Order of reasoning:
0. malformed inputs raise PolicyInputError (models.py checks each input when it is built; here
   the argument types and that the profile is the candidate's customer's);
1. denials that no waiting can fix (unknown country or channel, a recipient the law does not
   allow, opt-out, missing consent, a paid invoice, a hold without an end or of an unknown kind,
   a rendered text that breaks a content rule) -> "deny";
2. rules that only depend on the instant (windows, holidays, caps, cooldowns, quiet periods,
   holds with an end) -> "defer" to the earliest instant >= the proposed one at which *all* of
   them hold, found as a fixpoint of exact lower bounds (see caps.py), or "deny" when none
   exists within the search horizon;
3. otherwise "allow".

The engine never falls back to allowing: anything it cannot evaluate denies.
Pure: instants come from the caller, nothing reads the clock or the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from cartera.policy import inputs
from cartera.policy.caps import cap_bound, cooldown_bound
from cartera.policy.content import ContentReport, ContentViolation, check_content, content_sha256
from cartera.policy.creditor import CreditorSettings, apply_creditor, parse_creditor_settings
from cartera.policy.holds import (
    Denial,
    consent_denials,
    duration_pauses,
    hold_effects,
    paid_denial,
    recipient_denials,
)
from cartera.policy.models import (
    CHANNELS,
    Candidate,
    ContactProfile,
    Decision,
    Hold,
    Payment,
    Reason,
    SentMessage,
    require_aware,
)
from cartera.policy.rulepack import available_countries, cached_rule_pack
from cartera.policy.rules import CapRule, RulePack, RuleSet
from cartera.policy.texts import describe_cap, sentence
from cartera.policy.windows import SEARCH_HORIZON, HolidayCalendar, Window, describe_window
from cartera.policy.zones import ZoneResolution, holiday_calendar, resolve_zones

UTC = dt.UTC
# (code, rule id, verification, lower bound of the next valid instant or None when unknowable, text values)
Blocker = tuple[str, str, str, dt.datetime | None, dict[str, str]]


@lru_cache(maxsize=256)
def _window_text(window: Window) -> dict[str, str]:
    return {"window_es": describe_window(window, "es"), "window_en": describe_window(window, "en")}


@lru_cache(maxsize=512)
def _cap_text(rule: CapRule) -> dict[str, str]:
    es, en = describe_cap(
        rule.max,
        rule.period,
        rule.span.days if rule.span else None,
        rule.count,
        rule.meta.channels,
        rule.per_debt,
        rule.min_gap.total_seconds() / 3600,
    )
    return {"summary_es": es, "summary_en": en}


class PolicyEngine:
    """Decides with one compiled rule pack per country (creditor settings already applied)."""

    def __init__(self, packs: Mapping[str, RulePack]) -> None:
        self.packs = {code.upper(): pack for code, pack in packs.items()}

    @classmethod
    def load(
        cls,
        countries: Iterable[str] | None = None,
        creditor: CreditorSettings | Mapping[str, Any] | None = None,
    ) -> PolicyEngine:
        """Load the packaged packs (all of them by default) and apply the creditor's settings.

        Raises PolicyError for an unknown country, a bad pack, or a setting that loosens the law."""
        settings = (
            creditor
            if isinstance(creditor, CreditorSettings) or creditor is None
            else parse_creditor_settings(creditor)
        )
        packs = {}
        for code in countries or available_countries():
            pack = cached_rule_pack(code.upper())
            packs[pack.country] = apply_creditor(pack, settings) if settings else pack
        return cls(packs)

    def decide(
        self,
        candidate: Candidate,
        profile: ContactProfile,
        history: Sequence[SentMessage] = (),
        holds: Sequence[Hold] = (),
        payments: Sequence[Payment] = (),
        *,
        content: ContentReport | None = None,
    ) -> Decision:
        """The verdict on `candidate` at `candidate.proposed_at` (timezone-aware).

        `history`: messages already sent, or scheduled, to this customer on any channel (not this
        candidate). `holds`: the customer's holds as known now. `payments`: payments received
        (at least those since the batch was built, and those within the quiet period).
        `content`: the report of :meth:`check_content` on the rendered text, when there is one
        (at send time): its violations deny, and its SHA-256 is kept in the decision.

        Raises PolicyInputError for arguments of the wrong type, a profile of another customer,
        or a content report made for another pack or channel."""
        _check_arguments(candidate, profile, history, holds, payments, content)
        proposed = _utc(candidate.proposed_at, "proposed_at")
        history, holds, payments = _in_utc(history, holds, payments)
        pack = self.packs.get(profile.country)
        digest = content.content_sha256 if content else None
        if pack is None:
            return _final_denial("no_rule_pack", f"none/{profile.country}", "", "", digest)
        if candidate.channel not in CHANNELS:
            unknown = Denial("unknown_channel", f"{pack.id}/channels", "design")
            return _decision(pack, "deny", [unknown], [], None, {}, digest)
        debtor_type = "consumer" if profile.is_consumer else "business"
        if content is not None and (
            content.rule_pack_id != pack.id
            or content.rule_pack_version != pack.version
            or content.channel != candidate.channel
            or content.debtor_type != debtor_type
        ):
            raise inputs.PolicyInputError(
                "decide",
                "content",
                f"a report checked against {pack.id} {pack.version} for {debtor_type} on the candidate's channel",
            )
        rules = pack.rules_for(debtor_type, candidate.channel)
        zones = resolve_zones(pack, profile)
        calendar = holiday_calendar(pack, profile)
        summary = _summary(pack, candidate, profile, history, holds, payments, zones, proposed)
        if digest is not None:
            summary["content_sha256"] = digest

        denials = recipient_denials(rules, candidate)
        denials.extend(consent_denials(pack, rules, candidate, profile))
        paid = paid_denial(pack, candidate, payments)
        if paid is not None:
            denials.append(paid)
        hold_denials, _ = hold_effects(rules, candidate, holds, proposed)
        denials.extend(hold_denials)
        if content is not None:
            denials.extend(_content_denial(violation) for violation in content.violations)
        blockers = self._blockers(rules, candidate, history, holds, payments, zones, calendar, proposed)
        if denials:
            return _decision(pack, "deny", denials, blockers, None, summary, digest)
        if not blockers:
            return _decision(pack, "allow", [], [], None, summary, digest)

        at = proposed
        limit = proposed + SEARCH_HORIZON
        current = blockers
        while current:
            bounds = [bound for *_, bound, _ in current]
            if any(bound is None for bound in bounds):
                break
            at = max(bound for bound in bounds if bound is not None)
            if at > limit:
                break
            current = self._blockers(rules, candidate, history, holds, payments, zones, calendar, at)
        if current:
            horizon = Denial("no_allowed_instant", f"{pack.id}/search_horizon", "design")
            return _decision(pack, "deny", [horizon], blockers, None, summary, digest)
        return _decision(pack, "defer", [], blockers, at, summary, digest)

    def check_content(
        self,
        text: str,
        language: str,
        country: str,
        *,
        channel: str = "email",
        is_consumer: bool = True,
        facts: Mapping[str, str] | None = None,
    ) -> ContentReport:
        """:func:`cartera.policy.content.check_content` with this engine's pack for `country`
        (creditor settings included). A country without a pack gets a report with one
        ``no_rule_pack`` violation, so the message is never judged clean."""
        code = inputs.text("check_content", "country", country).strip().upper()
        debtor_type = "consumer" if inputs.flag("check_content", "is_consumer", is_consumer) else "business"
        pack = self.packs.get(code)
        if pack is None:
            missing = ContentViolation("no_rule_pack", f"none/{code}", "design", code)
            return ContentReport(content_sha256(text), language, channel, debtor_type, "none", "", (missing,))
        return check_content(text, language, pack, channel=channel, debtor_type=debtor_type, facts=facts)

    @staticmethod
    def _blockers(
        rules: RuleSet,
        candidate: Candidate,
        history: Sequence[SentMessage],
        holds: Sequence[Hold],
        payments: Sequence[Payment],
        zones: ZoneResolution,
        calendar: HolidayCalendar | None,
        at: dt.datetime,
    ) -> list[Blocker]:
        """Every instant-dependent rule that fails at `at`, with the bound past which it may hold."""
        found: list[Blocker] = []
        for window_rule in rules.windows:
            if not window_rule.window.contains(at, zones.zones, calendar):
                bound = window_rule.window.next_open(at, zones.zones, calendar)
                meta = window_rule.meta
                found.append(
                    ("outside_contact_window", meta.id, meta.verification, bound, _window_text(window_rule.window))
                )
        invoice_ids = frozenset(candidate.invoice_ids)
        for cap in rules.caps:
            bound = cap_bound(cap, at, candidate.channel, invoice_ids, history, zones.zones)
            if bound is not None:
                found.append(("frequency_cap", cap.meta.id, cap.meta.verification, bound, _cap_text(cap)))
        for cooldown in rules.cooldowns:
            bound = cooldown_bound(cooldown, at, invoice_ids, history, zones.zones)
            if bound is not None:
                hours = {"hours": f"{cooldown.duration.total_seconds() / 3600:g}"}
                found.append(("cooldown_after_contact", cooldown.meta.id, cooldown.meta.verification, bound, hours))
        hold_pauses = hold_effects(rules, candidate, holds, at)[1] if holds else []
        for pause in hold_pauses + duration_pauses(rules, candidate.channel, history, payments, at):
            found.append((pause.code, pause.rule_id, pause.verification, pause.until, {}))
        return found


def _utc(at: dt.datetime, what: str) -> dt.datetime:
    """`at` as a plain ``datetime`` in UTC. Subclasses (pendulum's DateTime, which Airflow hands
    to tasks) are rebuilt: their arithmetic can return naive values that no longer compare."""
    require_aware(at, what)
    if type(at) is not dt.datetime:
        return dt.datetime.fromtimestamp(at.timestamp(), tz=UTC)
    return at if at.tzinfo is UTC else at.astimezone(UTC)


def _is_plain_utc(at: dt.datetime) -> bool:
    return type(at) is dt.datetime and at.tzinfo is UTC


def _in_utc(
    history: Sequence[SentMessage], holds: Sequence[Hold], payments: Sequence[Payment]
) -> tuple[Sequence[SentMessage], Sequence[Hold], Sequence[Payment]]:
    """Every instant in UTC. Python compares and adds aware datetimes that share a tzinfo by wall
    clock, so "+ 7 days" across a DST change would be 167 or 169 hours: UTC makes spans elapsed time."""
    history = [m if _is_plain_utc(m.at) else replace(m, at=_utc(m.at, "SentMessage.at")) for m in history]
    holds = [
        replace(
            h,
            until=_utc(h.until, "Hold.until") if h.until else None,
            released_at=_utc(h.released_at, "Hold.released_at") if h.released_at else None,
        )
        for h in holds
    ]
    payments = [p if _is_plain_utc(p.at) else replace(p, at=_utc(p.at, "Payment.at")) for p in payments]
    return history, holds, payments


def _check_arguments(
    candidate: object,
    profile: object,
    history: object,
    holds: object,
    payments: object,
    content: object,
) -> None:
    if not isinstance(candidate, Candidate):
        raise inputs.PolicyInputError("decide", "candidate", "a cartera.policy.Candidate", candidate)
    if not isinstance(profile, ContactProfile):
        raise inputs.PolicyInputError("decide", "profile", "a cartera.policy.ContactProfile", profile)
    if profile.customer_id != candidate.customer_id:
        # Another customer's profile would bring another customer's opt-outs and consent.
        raise inputs.PolicyInputError("decide", "profile", "the profile of the candidate's customer")
    inputs.sequence_of("history", history, SentMessage)
    inputs.sequence_of("holds", holds, Hold)
    inputs.sequence_of("payments", payments, Payment)
    if content is not None and not isinstance(content, ContentReport):
        raise inputs.PolicyInputError("decide", "content", "a ContentReport from check_content, or None", content)


def _content_denial(violation: ContentViolation) -> Denial:
    return Denial(violation.code, violation.rule_id, violation.verification, values=(("item", violation.item),))


def _reason_from_denial(denial: Denial) -> Reason:
    es, en = sentence(denial.code, **dict(denial.values))
    return Reason(denial.code, denial.rule_id, "deny", es, en, denial.verification)


def _reason_from_blocker(blocker: Blocker) -> Reason:
    code, rule_id, verification, _, values = blocker
    es, en = sentence(code, **values)
    return Reason(code, rule_id, "defer", es, en, verification)


def _decision(
    pack: RulePack,
    verdict: str,
    denials: list[Denial],
    blockers: list[Blocker],
    next_allowed_at: dt.datetime | None,
    summary: dict[str, Any],
    content_digest: str | None = None,
) -> Decision:
    reasons = tuple(_reason_from_denial(d) for d in denials) + tuple(_reason_from_blocker(b) for b in blockers)
    blocked = tuple(sorted({invoice for d in denials for invoice in d.invoice_ids}))
    return Decision(
        verdict=verdict,  # type: ignore[arg-type]  # one of the three literals by construction
        reasons=reasons,
        rule_pack_id=pack.id,
        rule_pack_version=pack.version,
        next_allowed_at=next_allowed_at,
        blocked_invoice_ids=blocked,
        inputs_summary=summary,
        content_sha256=content_digest,
    )


def _final_denial(code: str, rule_id: str, pack_id: str, version: str, content_digest: str | None) -> Decision:
    es, en = sentence(code)
    reason = Reason(code, rule_id, "deny", es, en, "design")
    summary = {"country": rule_id.split("/")[-1]}
    return Decision(
        "deny", (reason,), pack_id or "none", version, inputs_summary=summary, content_sha256=content_digest
    )


def _summary(
    pack: RulePack,
    candidate: Candidate,
    profile: ContactProfile,
    history: Sequence[SentMessage],
    holds: Sequence[Hold],
    payments: Sequence[Payment],
    zones: ZoneResolution,
    at: dt.datetime,
) -> dict[str, Any]:
    """What the decision was based on, for the audit: ids, counts and codes, no personal data."""
    week_ago = at - dt.timedelta(days=7)
    recent = [m for m in history if week_ago < m.at <= at]
    by_channel: dict[str, int] = {}
    for message in recent:
        by_channel[message.channel] = by_channel.get(message.channel, 0) + 1
    return {
        "country": pack.country,
        "debtor_type": "consumer" if profile.is_consumer else "business",
        "channel": candidate.channel,
        "recipient_role": candidate.recipient_role,
        "proposed_at": at.isoformat(),
        "zones": list(zones.names),
        "zone_source": zones.source,
        "invoices": len(candidate.invoice_ids),
        "sent_last_7d_by_channel": by_channel,
        "direct_contacts_last_7d": sum(1 for m in recent if m.direct_contact),
        "scheduled_after": sum(1 for m in history if m.at > at),
        "holds": sorted({h.kind for h in holds}),
        "payments": len(payments),
        "opted_out": sorted(profile.opted_out_channels),
        "whatsapp_opt_in": profile.whatsapp_opt_in,
        "consented_channels": sorted(profile.consented_channels),
        "creditor_id": pack.creditor_id,
    }
