"""Property: the learner never chooses an arm the policy engine denies (or defers)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from learning_builders import AS_OF, candidate, playbook, profile

from cartera.campaigns.contact_check import check, hold_from, policy_engine
from cartera.learning.arms import HOUR_BLOCKS, block_instant, lawful_arms, verdicts, zone_of
from cartera.learning.strategy import LearnedStrategy
from cartera.policy.models import Payment, SentMessage

ZONES = ["America/Mexico_City", "America/Tijuana", "America/Cancun", "America/Hermosillo", None]
SEGMENTS_DPD = [("new", -3), ("occasional", 5), ("at_risk", 12), ("chronic", 20), ("exemplary", 4), ("new", 40)]
BASE = dt.datetime.combine(AS_OF, dt.time(15), tzinfo=dt.UTC)


@st.composite
def situations(draw: st.DrawFn) -> tuple:  # type: ignore[type-arg]
    segment, dpd = draw(st.sampled_from(SEGMENTS_DPD))
    message = candidate(segment, dpd, p_late=0.7)
    who = profile(
        timezone=draw(st.sampled_from(ZONES)),
        has_email=draw(st.booleans()),
        has_mobile=draw(st.booleans()),
        whatsapp_opt_in=draw(st.booleans()),
        email_opt_out=draw(st.booleans()),
        sms_opt_out=draw(st.booleans()),
        opted_out_channels=frozenset(draw(st.sets(st.sampled_from(["email", "sms", "whatsapp", "all"]), max_size=2))),
    )
    hours_ago = draw(st.lists(st.integers(min_value=-30, max_value=24 * 9), max_size=4))
    channels = st.sampled_from(["email", "sms", "whatsapp"])
    history = [SentMessage(BASE - dt.timedelta(hours=h), draw(channels), message.invoice_ids) for h in hours_ago]
    payments = (
        [Payment("payment:p1", BASE - dt.timedelta(hours=draw(st.integers(1, 120))), settles_invoice=False)]
        if draw(st.booleans())
        else []
    )
    holds = []
    if draw(st.booleans()):
        until = BASE + dt.timedelta(hours=draw(st.integers(-48, 72)))
        holds.append(hold_from("promise_to_pay", None, BASE - dt.timedelta(days=2), until=until))
    planned = dt.datetime.combine(AS_OF, dt.time(15), tzinfo=dt.UTC)
    return message, who, history, holds, payments, planned, draw(st.integers(0, 10_000))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(situations())
def test_the_learner_never_chooses_an_arm_the_policy_engine_denies(situation: tuple) -> None:  # type: ignore[type-arg]
    message, who, history, holds, payments, planned, seed = situation
    engine = policy_engine()
    strategy = LearnedStrategy.warm(playbook(), control_share=0.0, seed=seed)
    choice = strategy.choose(message, who, history, holds, payments, planned, engine)
    day = planned.astimezone(zone_of(who)).date()
    lawful = lawful_arms(message, verdicts(message, who, history, holds, payments, day, engine))
    if choice.arm is None:
        assert lawful == []
        return
    assert choice.arm in lawful
    assert choice.at == block_instant(day, choice.arm.block, zone_of(who))
    again = check(choice.message, who, history, holds, choice.at, payments=payments, engine=engine)
    assert again.verdict == "allow"
    assert choice.message.channel == choice.arm.channel
    assert choice.message.step.tone == choice.arm.tone


def test_a_friendly_step_is_never_made_firm() -> None:
    message = candidate("exemplary", 4)
    engine = policy_engine()
    for seed in range(30):
        strategy = LearnedStrategy.warm(playbook(), control_share=0.0, seed=seed)
        choice = strategy.choose(message, profile(), [], [], [], BASE, engine)
        assert choice.arm is not None and choice.arm.tone == "amable"
        assert choice.arm.block in HOUR_BLOCKS


def test_a_control_customer_gets_the_playbook_choice() -> None:
    message = candidate("chronic", 20)
    strategy = LearnedStrategy.warm(playbook(), control_share=1.0)
    choice = strategy.choose(message, profile(), [], [], [], BASE, policy_engine())
    assert choice.group == "control" and choice.mode == "playbook"
    assert choice.message.channel == "whatsapp"  # the step's first channel the contact can receive
    assert choice.at == BASE
