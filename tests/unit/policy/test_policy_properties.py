"""Properties over random customers, instants and histories: the engine never allows a message
outside the window, over a cap or under a hold, and every "defer" instant is one it allows itself
(and the earliest: a microsecond before, it does not allow)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import holidays
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_builders import default_engine

from cartera.policy import Candidate, ContactProfile, Hold, Payment, SentMessage
from cartera.policy.models import HOLD_KINDS
from cartera.policy.rules import CapRule, RulePack, WindowRule
from cartera.policy.zones import resolve_zones

ENGINE = default_engine()
COUNTRIES = sorted(ENGINE.packs)
CHANNELS = ["email", "sms", "whatsapp", "call"]
INVOICES = ["i1", "i2", "i3"]
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _profile(draw: Any, pack: RulePack) -> ContactProfile:
    where = draw(st.sampled_from(["zone", "state", "area", "none", "bad"]))
    timezone = state = area = None
    if where == "zone":
        timezone = draw(st.sampled_from(pack.zones))
    elif where == "state" and pack.zones_by_state:
        state = draw(st.sampled_from(sorted(pack.zones_by_state)))
    elif where == "area" and pack.zones_by_area_code:
        area = draw(st.sampled_from(sorted(pack.zones_by_area_code)))
    elif where == "bad":
        timezone = "Nowhere/Atlantis"
    return ContactProfile(
        customer_id="c-prop",
        country=pack.country,
        is_consumer=draw(st.booleans()),
        timezone=timezone,
        state=state,
        phone_area_code=area,
        consented_channels=frozenset(draw(st.sets(st.sampled_from(CHANNELS), min_size=2))),
        opted_out_channels=frozenset(draw(st.sets(st.sampled_from(CHANNELS + ["all"]), max_size=1))),
        whatsapp_opt_in=draw(st.booleans()),
    )


@st.composite
def situations(draw: Any) -> tuple[Candidate, ContactProfile, list[SentMessage], list[Hold], list[Payment]]:
    pack = ENGINE.packs[draw(st.sampled_from(COUNTRIES))]
    proposed = START + dt.timedelta(minutes=draw(st.integers(0, 365 * 24 * 60)), seconds=draw(st.integers(0, 59)))
    near = st.integers(-10 * 24 * 60, 3 * 24 * 60).map(lambda minutes: proposed + dt.timedelta(minutes=minutes))
    history = draw(
        st.lists(
            st.builds(
                SentMessage,
                at=near,
                channel=st.sampled_from(CHANNELS),
                invoice_ids=st.lists(st.sampled_from(INVOICES), max_size=2).map(tuple),  # () = every debt
                direct_contact=st.booleans(),
                outcome=st.sampled_from(["sent", "sent", "delivered", "bounced"]),
            ),
            max_size=8,
        )
    )
    holds = draw(
        st.lists(
            st.builds(
                Hold,
                kind=st.sampled_from(["dispute", "promise_to_pay", "do_not_contact", "legal", "bankruptcy"]),
                invoice_id=st.sampled_from([None, "i1", "i2", "i9"]),
                until=st.one_of(st.none(), near),
            ),
            max_size=2,
        )
    )
    payments = draw(st.lists(st.builds(Payment, invoice_id=st.sampled_from(["i1", "i8", "i9"]), at=near), max_size=2))
    invoices = tuple(sorted(draw(st.sets(st.sampled_from(INVOICES), min_size=1))))
    role = draw(st.sampled_from(["debtor", "debtor", "debtor", "aval", "authorised_contact", "family", "third_party"]))
    candidate = Candidate("c-prop", draw(st.sampled_from(CHANNELS)), invoices, proposed, role)
    return candidate, _profile(draw, pack), history, holds, payments


@lru_cache(maxsize=64)
def _national_holidays(country: str, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, years=year))


def _local_window_ok(rule: WindowRule, pack: RulePack, profile: ContactProfile, at: dt.datetime) -> bool:
    """Independent reading of a window: local weekday and minute, and the holidays package."""
    for zone in resolve_zones(pack, profile).zones:
        local = at.astimezone(zone)
        interval = rule.window.days[local.weekday()]
        if interval is None or not interval[0] <= local.hour * 60 + local.minute < interval[1]:
            return False
        if rule.window.block_holidays and local.date() in _national_holidays(pack.country, local.year):
            return False
    return True


def _names(message: SentMessage, debt: str) -> bool:
    return not message.invoice_ids or debt in message.invoice_ids


def _runs_ok(
    cap: CapRule, pack: RulePack, profile: ContactProfile, candidate: Candidate, history: list[SentMessage]
) -> bool:
    """Reg F's reading, written independently: for each debt of the message, every run of `days`
    consecutive local dates containing today holds at most `max` messages with this one."""
    assert cap.span is not None
    days = cap.span.days
    for zone in resolve_zones(pack, profile).zones:
        today = candidate.proposed_at.astimezone(zone).date()
        for debt in candidate.invoice_ids:
            dates = [
                m.at.astimezone(zone).date() for m in history if m.channel in cap.meta.channels and _names(m, debt)
            ]
            for first in (today - dt.timedelta(days=back) for back in range(days)):
                if sum(first <= d < first + dt.timedelta(days=days) for d in dates) + 1 > cap.max:
                    return False
    return True


def _past_count_ok(cap: CapRule, candidate: Candidate, history: list[SentMessage], at: dt.datetime) -> bool:
    """A necessary condition of every cap: the messages before `at` in the span, plus this one."""
    if cap.trigger != "always" or cap.count != "messages" or cap.period != "rolling" or cap.span is None:
        return True
    counted = [
        m
        for m in history
        if m.channel in cap.meta.channels
        and at - cap.span < m.at <= at
        and (not cap.per_debt or set(m.invoice_ids) & set(candidate.invoice_ids))
    ]
    return len(counted) + 1 <= cap.max


def _assert_lawful(
    candidate: Candidate,
    profile: ContactProfile,
    history: list[SentMessage],
    holds: list[Hold],
    payments: list[Payment],
) -> None:
    pack = ENGINE.packs[profile.country]
    at = candidate.proposed_at
    rules = pack.rules_for("consumer" if profile.is_consumer else "business", candidate.channel)
    assert rules.windows, "every channel has a window"
    for rule in rules.windows:
        assert _local_window_ok(rule, pack, profile, at), rule.meta.id
    for cap in rules.caps:
        assert _past_count_ok(cap, candidate, history, at), cap.meta.id
        if cap.period == "consecutive_days" and cap.per_debt:
            assert _runs_ok(cap, pack, profile, candidate, history), cap.meta.id
    for rule in rules.recipients:
        assert candidate.recipient_role in rule.allowed, rule.meta.id
    assert candidate.recipient_role in {"debtor", "guarantor", "joint_obligor", "authorised_contact"}
    for hold in holds:
        if hold.invoice_id is None or hold.invoice_id in candidate.invoice_ids:
            assert hold.kind in HOLD_KINDS, "allowed under a hold of unknown kind"
            end = hold.end()
            assert end is not None and at >= end, f"allowed under a {hold.kind} hold"
    assert not ({"all", candidate.channel} & profile.opted_out_channels)
    assert candidate.channel != "whatsapp" or profile.whatsapp_opt_in
    assert not {p.invoice_id for p in payments} & set(candidate.invoice_ids)
    for payment in payments:
        assert not payment.at <= at < payment.at + dt.timedelta(hours=72), "inside the quiet period"


def _at(candidate: Candidate, when: dt.datetime) -> Candidate:
    return Candidate(candidate.customer_id, candidate.channel, candidate.invoice_ids, when, candidate.recipient_role)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(situations())
def test_an_allowed_message_is_inside_the_window_under_every_cap_and_outside_every_hold(situation: Any) -> None:
    candidate, profile, history, holds, payments = situation
    decision = ENGINE.decide(candidate, profile, history, holds, payments)
    if decision.verdict == "allow":
        _assert_lawful(candidate, profile, history, holds, payments)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(situations())
def test_a_deferred_message_is_allowed_at_its_next_instant_and_not_a_microsecond_before(situation: Any) -> None:
    candidate, profile, history, holds, payments = situation
    decision = ENGINE.decide(candidate, profile, history, holds, payments)
    if decision.verdict != "defer":
        assert decision.next_allowed_at is None
        return
    assert decision.next_allowed_at is not None
    assert decision.next_allowed_at >= candidate.proposed_at
    later = _at(candidate, decision.next_allowed_at)
    assert ENGINE.decide(later, profile, history, holds, payments).verdict == "allow"
    _assert_lawful(later, profile, history, holds, payments)
    just_before = decision.next_allowed_at - dt.timedelta(microseconds=1)
    if just_before >= candidate.proposed_at:
        assert ENGINE.decide(_at(candidate, just_before), profile, history, holds, payments).verdict != "allow"


@settings(max_examples=100, deadline=None)
@given(situations())
def test_every_decision_names_its_pack_version_and_has_a_sentence_in_both_languages(situation: Any) -> None:
    candidate, profile, history, holds, payments = situation
    decision = ENGINE.decide(candidate, profile, history, holds, payments)
    assert decision.rule_pack_version.startswith("2026.2")
    assert decision.reason_es and decision.reason_en
    assert (decision.verdict == "allow") == (not decision.reasons)
