from __future__ import annotations

import numpy as np
from learning_builders import playbook

from cartera.learning.arms import ARMS, Arm
from cartera.learning.thompson import ThompsonLearner, playbook_arms, warm_start

BUCKET = "chronic|high|d8_30|medium|none"


def test_warm_start_makes_the_playbook_arms_the_best_known_of_their_segment() -> None:
    learner = warm_start(playbook())
    means = learner.means("chronic", BUCKET)
    best = ARMS[int(np.argmax(means))]
    assert best in playbook_arms(playbook())["chronic"]


def test_an_arm_that_keeps_collecting_becomes_the_exploited_choice() -> None:
    learner = warm_start(playbook(), best_share=1.0)
    winner = Arm("whatsapp", "18h", "firme")
    for _ in range(40):
        learner.update("chronic", BUCKET, winner, paid=True, opted_out=False, complained=False)
    pick = learner.choose("chronic", BUCKET, list(ARMS), lambda arm: True, np.random.default_rng(1))
    assert pick is not None and pick.arm == winner and pick.mode == "exploit"


def test_opt_outs_and_complaints_make_an_arm_lose_to_one_that_collects_as_well_quietly() -> None:
    learner = ThompsonLearner(best_share=1.0, penalty=2.0)
    noisy, quiet = Arm("sms", "08h", "firme"), Arm("email", "08h", "firme")
    for n in range(20):
        paid = n % 2 == 0
        learner.update("chronic", BUCKET, noisy, paid=paid, opted_out=n % 4 == 0, complained=n % 4 == 1)
        learner.update("chronic", BUCKET, quiet, paid=paid, opted_out=False, complained=False)
    means = learner.means("chronic", BUCKET)
    assert means[ARMS.index(noisy)] < means[ARMS.index(quiet)] - 0.1


def test_evidence_in_one_bucket_informs_a_new_bucket_of_the_same_segment() -> None:
    learner = ThompsonLearner()
    arm = Arm("whatsapp", "14h", "amable")
    for _ in range(30):
        learner.update(
            "occasional", "occasional|low|d1_7|small|none", arm, paid=True, opted_out=False, complained=False
        )
    unseen = learner.means("occasional", "occasional|mid|d8_30|small|engaged")
    assert unseen[ARMS.index(arm)] > 0.5


def test_the_learner_never_returns_an_arm_it_is_not_allowed() -> None:
    learner = warm_start(playbook(), best_share=0.0)
    allowed = {Arm("sms", "14h", "amable")}
    for seed in range(50):
        pick = learner.choose("new", BUCKET, list(ARMS), allowed.__contains__, np.random.default_rng(seed))
        assert pick is not None and pick.arm in allowed


def test_no_allowed_arm_means_no_choice() -> None:
    learner = warm_start(playbook())
    assert learner.choose("new", BUCKET, list(ARMS), lambda arm: False, np.random.default_rng(0)) is None


def test_the_state_round_trips_through_json() -> None:
    learner = warm_start(playbook())
    learner.update("chronic", BUCKET, Arm("email", "08h", "firme"), paid=True, opted_out=False, complained=True)
    again = ThompsonLearner.from_json(learner.to_json())
    assert np.allclose(again.means("chronic", BUCKET), learner.means("chronic", BUCKET), atol=1e-3)
    assert again.updates == 1
