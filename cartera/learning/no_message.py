"""The "no message today" arm: a learned strategy that sends only when the learner expects the
message to add more than ``send_above`` to the chance of being paid.

It needs the uplift reward (:mod:`cartera.learning.thompson`): a rate of "paid within N days"
cannot say what a message adds, an uplift can, and the value of not sending is then known
without learning it: no uplift, no message. So "no message" is an arm of known value
``send_above`` (the cost of a message in uplift points: fatigue, opt-out risk, the collector's
patience), played against the chosen arm the Thompson way: in exploit mode the arm's posterior
mean must clear it, in explore mode a draw from its posterior must, so a context whose arms look
useless is still tried now and then and can recover.

A skipped message is a *deny* by the strategy (reason ``learner_no_message``): nothing is sent
and the step is not marked as fired, so it is considered again the next day while in range.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from cartera.campaigns.candidates import Candidate
from cartera.campaigns.decisions import ruled
from cartera.learning.arms import ARM_INDEX, zone_of
from cartera.learning.strategy import RULE_ID, Choice, LearnedStrategy
from cartera.policy.engine import PolicyEngine
from cartera.policy.models import ContactProfile, Decision, Hold, Payment, SentMessage

NO_MESSAGE = "no_message"


def _skip(value: float, send_above: float, version: int) -> Decision:
    return ruled(
        "deny",
        f"learner_{NO_MESSAGE}",
        f"Aprendizaje v{version}: sin mensaje hoy; efecto esperado {value:+.0%} bajo el mínimo {send_above:+.0%}.",
        f"Learner v{version}: no message today; expected effect {value:+.0%} below the minimum {send_above:+.0%}.",
        rule_id=RULE_ID,
    )


@dataclass
class NoMessageStrategy(LearnedStrategy):
    """:class:`~cartera.learning.strategy.LearnedStrategy` with the "no message today" arm."""

    send_above: float = 0.02
    name: str = "learned_no_message"

    def __post_init__(self) -> None:
        if self.learner.reward != "uplift":
            raise ValueError("the no-message arm needs a learner with the uplift reward")

    def choose(
        self,
        message: Candidate,
        profile: ContactProfile,
        history: Sequence[SentMessage],
        holds: Sequence[Hold],
        payments: Sequence[Payment],
        planned_at: dt.datetime,
        engine: PolicyEngine | None,
        last_response: str = "none",
    ) -> Choice:
        choice = super().choose(message, profile, history, holds, payments, planned_at, engine, last_response)
        if choice.mode not in ("exploit", "explore") or choice.arm is None or choice.context is None:
            return choice
        alpha, beta = self.learner.posterior(choice.context.segment, choice.context.bucket)
        i = ARM_INDEX[choice.arm]
        if choice.mode == "exploit":
            mean = float(alpha[i] / (alpha[i] + beta[i]))
        else:
            day = planned_at.astimezone(zone_of(profile)).date().isoformat()
            key = f"{self.seed}:{NO_MESSAGE}:{message.customer_id}:{day}".encode()
            rng = np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))
            mean = float(rng.beta(alpha[i], beta[i]))
        value = self.learner.value(mean)
        if value >= self.send_above:
            return choice
        skip = _skip(value, self.send_above, self.state_version)
        return replace(choice, mode=NO_MESSAGE, audit=skip, verdict=skip)
