"""Strategies behind one interface, shared by the production build and the simulator.

- :class:`FixedPlaybook`: today's behaviour: every step the playbook says, on the first of the
  step's channels the contact can receive, at the build's planned instant, in the step's tone.
- :class:`LearnedStrategy`: customers of the control group (:mod:`cartera.learning.control`) get
  exactly the fixed playbook; the others get the preventive plan (:mod:`cartera.learning.preventive`)
  and, for each day's message, the learner's arm among those the policy engine allows
  (:mod:`cartera.learning.arms`, :mod:`cartera.learning.thompson`).

A strategy never sends and never overrules the law: the caller still runs the production check
(:func:`~cartera.campaigns.contact_check.check`) on the chosen channel and instant.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from cartera.campaigns.candidates import Candidate
from cartera.campaigns.decisions import ruled
from cartera.campaigns.playbook import Playbook
from cartera.learning import preventive
from cartera.learning.arms import Arm, block_instant, block_of, candidate_arms, verdicts, zone_of
from cartera.learning.context import Context, context_of
from cartera.learning.control import DEFAULT_SALT, DEFAULT_SHARE, group_of
from cartera.learning.thompson import ThompsonLearner, warm_start
from cartera.policy.engine import PolicyEngine
from cartera.policy.models import ContactProfile, Decision, Hold, Payment, SentMessage

RULE_ID = "learning/strategy"
SOFT_TEMPLATE = "recordatorio_vencido"  # the friendly overdue reminder, for a softened firm step


@dataclass(frozen=True)
class Choice:
    """How today's message goes: `message` carries the channel (and tone/template), `at` the
    planned instant; `arm`, `group`, `mode` and `context` say what chose it; `audit` is the line
    written to ops.contact_decisions so ``cartera why`` shows it."""

    message: Candidate
    at: dt.datetime
    arm: Arm | None
    group: str
    mode: str
    context: Context | None
    audit: Decision
    verdict: Decision | None = None  # the engine's allow for the chosen arm, when the learner asked


class Strategy(Protocol):
    name: str

    def plan(
        self, candidates: Sequence[Candidate], covered: set[tuple[str, str]] | frozenset[tuple[str, str]]
    ) -> tuple[list[Candidate], list[preventive.Note]]: ...

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
    ) -> Choice: ...


def fixed_channel(message: Candidate, profile: ContactProfile) -> str | None:
    """The production build's choice: the first channel of the step the contact can receive."""
    from cartera.campaigns.build import _choose_channel  # the build's own rule, not a copy

    return _choose_channel(message.step, profile)


@dataclass
class FixedPlaybook:
    """The fixed playbook (fixed dunning): no plan changes, the build's channel and instant."""

    name: str = "fixed"
    group: str = "fixed"

    def plan(
        self, candidates: Sequence[Candidate], covered: set[tuple[str, str]] | frozenset[tuple[str, str]]
    ) -> tuple[list[Candidate], list[preventive.Note]]:
        return list(candidates), []

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
        channel = fixed_channel(message, profile)
        chosen = message.with_channel(channel) if channel else message
        arm = Arm(channel, block_of(planned_at, zone_of(profile)), message.step.tone) if channel else None
        audit = ruled(
            "allow",
            "playbook_arm",
            f"Playbook fijo ({self.group}): {arm.key if arm else 'sin canal'}.",
            f"Fixed playbook ({self.group}): {arm.key if arm else 'no channel'}.",
            rule_id=RULE_ID,
        )
        return Choice(chosen, planned_at, arm, self.group, "playbook", None, audit)


def _seeded(seed: int, customer_id: str, day: dt.date) -> np.random.Generator:
    """The learner's own draws for (customer, day): a rebuild of a day with the same state
    chooses the same arm."""
    digest = hashlib.sha256(f"{seed}:{customer_id}:{day.isoformat()}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


@dataclass
class LearnedStrategy:
    """Preventive plan + Thompson sampling among lawful arms, with a control group on the playbook."""

    playbook: Playbook
    learner: ThompsonLearner
    control_share: float = DEFAULT_SHARE
    salt: str = DEFAULT_SALT
    seed: int = 0
    state_version: int = 0
    name: str = "learned"
    use_preventive: bool = True
    _control: FixedPlaybook = field(default_factory=lambda: FixedPlaybook(group="control"))

    @classmethod
    def warm(cls, playbook: Playbook, **kwargs: object) -> LearnedStrategy:
        return cls(playbook, warm_start(playbook), **kwargs)  # type: ignore[arg-type]

    def group(self, customer_id: str) -> str:
        return group_of(customer_id, share=self.control_share, salt=self.salt)

    def plan(
        self, candidates: Sequence[Candidate], covered: set[tuple[str, str]] | frozenset[tuple[str, str]]
    ) -> tuple[list[Candidate], list[preventive.Note]]:
        control = [c for c in candidates if self.group(c.customer_id) == "control"]
        treated = [c for c in candidates if self.group(c.customer_id) != "control"]
        if not self.use_preventive:
            return list(candidates), []
        kept, notes = preventive.plan(treated, self.playbook, covered)
        return sorted(control + kept, key=lambda c: (c.customer_id, -c.step.severity)), notes

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
        if self.group(message.customer_id) == "control":
            return self._control.choose(message, profile, history, holds, payments, planned_at, engine)
        context = context_of(message, last_response)
        day = planned_at.astimezone(zone_of(profile)).date()
        judge = verdicts(message, profile, history, holds, payments, day, engine)
        arms = candidate_arms(message, profile)
        rng = _seeded(self.seed, message.customer_id, day)
        pick = self.learner.choose(context.segment, context.bucket, arms, judge.allows, rng)
        if pick is None:  # the law allows no arm now: the playbook's choice, which the check defers or denies
            fallback = FixedPlaybook(group="learner").choose(
                message, profile, history, holds, payments, planned_at, engine
            )
            return Choice(fallback.message, fallback.at, None, "learner", "no_lawful_arm", context, fallback.audit)
        arm = pick.arm
        step = message.step
        if arm.tone != step.tone:
            step = step.model_copy(update={"tone": arm.tone, "template": SOFT_TEMPLATE})
        chosen = Candidate(message.customer_id, message.segment, step, message.invoices, channel=arm.channel)
        at = block_instant(day, arm.block, zone_of(profile))
        how_es = "mejor conocido" if pick.mode == "exploit" else "exploración (Thompson)"
        how_en = "best known" if pick.mode == "exploit" else "exploration (Thompson)"
        audit = ruled(
            "allow",
            f"learner_{pick.mode}",
            f"Aprendizaje v{self.state_version}: {arm.key}, {how_es}; tasa esperada {pick.mean:.0%} "
            f"con {pick.n:.0f} observaciones; contexto {context.bucket}.",
            f"Learner v{self.state_version}: {arm.key}, {how_en}; expected rate {pick.mean:.0%} "
            f"on {pick.n:.0f} observations; context {context.bucket}.",
            rule_id=RULE_ID,
        )
        return Choice(chosen, at, arm, "learner", pick.mode, context, audit, judge.decide(arm.channel, arm.block))
