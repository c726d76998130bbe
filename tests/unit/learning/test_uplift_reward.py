"""The uplift reward (paid minus the rate without a message), its baseline from days late, and
the "no message today" arm built on it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from learning_builders import AS_OF, candidate, playbook, profile

from cartera.campaigns.contact_check import policy_engine
from cartera.learning.arms import ARMS, Arm
from cartera.learning.baseline import any_paid, paid_without_message
from cartera.learning.no_message import NoMessageStrategy
from cartera.learning.strategy import LearnedStrategy
from cartera.learning.thompson import ThompsonLearner, warm_start

BUCKET = "chronic|high|d8_30|medium|none"
MORNING = dt.datetime.combine(AS_OF, dt.time(15), tzinfo=dt.UTC)  # 09:00 Mexico City
MESSAGE_ARM = Arm("whatsapp", "14h", "firme")


def test_a_message_that_rides_on_a_payment_coming_anyway_earns_no_uplift() -> None:
    learner = ThompsonLearner(reward="uplift", best_share=1.0)
    rides, moves = Arm("email", "08h", "firme"), Arm("whatsapp", "18h", "firme")
    for n in range(40):
        # Both arms are paid 90 % of the time; e-mail goes to customers who would pay anyway
        # (baseline 0.9), WhatsApp to customers who would not (baseline 0.2).
        paid = n % 10 != 0
        learner.update_uplift("chronic", BUCKET, rides, paid=paid, baseline=0.9, opted_out=False, complained=False)
        learner.update_uplift("chronic", BUCKET, moves, paid=paid, baseline=0.2, opted_out=False, complained=False)
    means = learner.means("chronic", BUCKET)
    assert learner.value(float(means[ARMS.index(rides)])) == pytest.approx(0.0, abs=0.05)
    assert learner.value(float(means[ARMS.index(moves)])) > 0.55
    pick = learner.choose("chronic", BUCKET, [rides, moves], lambda arm: True, np.random.default_rng(0))
    assert pick is not None and pick.arm == moves


def test_a_learner_refuses_the_other_reward_and_its_state_says_which_it_learns() -> None:
    paid, uplift = ThompsonLearner(), warm_start(playbook(), reward="uplift")
    with pytest.raises(ValueError, match="update_uplift"):
        uplift.update("chronic", BUCKET, MESSAGE_ARM, paid=True, opted_out=False, complained=False)
    with pytest.raises(ValueError, match="paid within"):
        paid.update_uplift("chronic", BUCKET, MESSAGE_ARM, paid=True, baseline=0.1, opted_out=False, complained=False)
    assert ThompsonLearner.from_json(uplift.to_json()).reward == "uplift"
    legacy = paid.to_json()
    del legacy["reward"]  # a state stored before the uplift reward existed
    assert ThompsonLearner.from_json(legacy).reward == "paid"


def test_the_baseline_is_the_customers_own_history_pooled_towards_everyones() -> None:
    pooled = sorted([0] * 50 + [20] * 50)  # half pay on time, half 20 days late
    punctual = [0, 0, 0, 0, 0, 0, 0, 0]
    late = [20, 20, 20, 20, 20, 20, 20, 20]
    # 10 days past due, 14-day window: still open means late > 10; pays within means late <= 24.
    assert paid_without_message(late, pooled, 10, 14) == pytest.approx(1.0)
    assert paid_without_message([], pooled, 10, 14) == pytest.approx(1.0)  # everyone still open pays by 20
    # 2 days before due: a punctual customer pays within the window; one 20 days late does not.
    assert paid_without_message(punctual, pooled, -2, 14) > 0.8
    assert paid_without_message(late, pooled, -2, 14) < 0.3
    assert any_paid([0.5, 0.5]) == pytest.approx(0.75) and any_paid([]) == 0.0


def _strategy(send_above: float, learner: ThompsonLearner) -> NoMessageStrategy:
    return NoMessageStrategy(playbook(), learner, control_share=0.0, send_above=send_above)


def test_no_message_today_when_the_best_lawful_arm_is_not_expected_to_add_enough() -> None:
    engine, message, at = policy_engine(), candidate("chronic", 12, p_late=0.7), MORNING
    useless = ThompsonLearner(reward="uplift", best_share=1.0)
    for arm in ARMS:  # every arm observed to add nothing
        for _ in range(30):
            useless.update_uplift("chronic", BUCKET, arm, paid=True, baseline=1.0, opted_out=False, complained=False)
    skipped = _strategy(0.05, useless).choose(message, profile(), [], [], [], at, engine)
    assert skipped.mode == "no_message" and skipped.verdict is not None and skipped.verdict.verdict == "deny"
    assert "no message today" in skipped.audit.reason_en
    sent = _strategy(-1.0, useless).choose(message, profile(), [], [], [], at, engine)
    assert sent.mode == "exploit" and sent.verdict is not None and sent.verdict.verdict == "allow"


def test_the_no_message_arm_needs_the_uplift_reward() -> None:
    with pytest.raises(ValueError, match="uplift"):
        NoMessageStrategy(playbook(), ThompsonLearner())
    assert isinstance(_strategy(0.0, warm_start(playbook(), reward="uplift")), LearnedStrategy)
