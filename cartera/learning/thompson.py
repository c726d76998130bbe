"""The learner: contextual Thompson sampling with Beta-Bernoulli arms pooled across contexts.

Why this model. The reward is binary at heart (did the customer pay within N days of the
message?), arms are few (≤ 24) and contexts are coarse bands (:mod:`cartera.learning.context`).
A Beta posterior per (context bucket, arm) is exact, needs no fitting step, updates in O(1) per
outcome, explains itself in counts a collector can read ("14 paid of 40 sent"), and is cheap to
sample for 100k invoices. Its weakness, independent buckets that each learn from scratch, is
handled by pooling: a bucket's prior is centred on its segment's rate for that arm, which is
centred on the arm's overall rate (a fixed-strength empirical-Bayes hierarchy). A Bayesian
logistic model would share more across features but needs a Laplace/variational step per update
and gives less legible state; with a few hundred outcomes a day the pooled Betas are enough.

Reward (``reward``): ``paid`` — a paid message is a success, an unpaid one a failure; ``uplift`` —
paid minus the rate the customer would have paid at without the message (``baseline``, from the
expected payment date: :mod:`cartera.learning.baseline`), mapped from [-1, 1] to a fractional
success (1 + uplift) / 2 and failure (1 - uplift) / 2, so a posterior mean m is an uplift of
2m - 1 and a message that only rides on a payment that was coming anyway earns nothing. In both,
an opt-out or complaint adds ``penalty`` extra failures, so an arm that annoys people loses even
when it collects.

Exploration is bounded: with probability ``best_share`` the best-known lawful arm (highest
posterior mean) is used; otherwise Thompson's draw decides. Caps bound it too, since only arms the
policy engine allows are ever chosen (:func:`cartera.learning.arms.first_lawful`).

Warm start: each segment starts with ``warm`` pseudo-outcomes on the arms the playbook uses
for it (:func:`warm_start`), so day one behaves close to the playbook and moves as evidence comes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cartera.campaigns.playbook import Playbook
from cartera.learning.arms import ARM_INDEX, ARMS, CHANNELS, Arm

N_ARMS = len(ARMS)
PRIOR_MEAN = 0.3  # before any evidence: about the paid-within-14-days rate of a reminder
PRIOR_STRENGTH = 4.0  # pseudo-outcomes behind the overall prior of each arm
SEGMENT_STRENGTH = 8.0  # how strongly a segment's rate is pulled to the arm's overall rate
BUCKET_STRENGTH = 6.0  # how strongly a bucket's rate is pulled to its segment's rate
WARM_PSEUDO = 6.0  # pseudo-outcomes a playbook arm starts with in its segment
WARM_MEAN = 0.36  # their success rate: a little above the prior, so the playbook leads on day one
UPLIFT_PRIOR_MEAN = 0.5  # uplift reward: no effect before any evidence
UPLIFT_WARM_MEAN = 0.53  # the playbook's arms start at +6 points of uplift
REWARDS = ("paid", "uplift")
PLAYBOOK_BLOCK = "08h"  # the build plans at 09:00 Mexico City, which is the 08h block almost everywhere


def _zeros() -> np.ndarray:
    return np.zeros(N_ARMS, dtype=np.float64)


@dataclass
class Counts:
    """Successes and (penalised) failures per arm."""

    success: np.ndarray = field(default_factory=_zeros)
    failure: np.ndarray = field(default_factory=_zeros)

    def to_json(self) -> dict[str, list[float]]:
        return {"s": [round(float(x), 4) for x in self.success], "f": [round(float(x), 4) for x in self.failure]}

    @classmethod
    def from_json(cls, data: dict[str, list[float]]) -> Counts:
        return cls(np.asarray(data["s"], dtype=np.float64), np.asarray(data["f"], dtype=np.float64))


@dataclass(frozen=True)
class Pick:
    """The learner's choice and why: `mode` is 'exploit' (best-known lawful arm) or 'explore'
    (Thompson's draw); `score` the posterior mean or the draw; `mean` and `n` the evidence behind it."""

    arm: Arm
    mode: str
    score: float
    mean: float
    n: float


@dataclass
class ThompsonLearner:
    """Pooled Beta-Bernoulli Thompson sampling over :data:`~cartera.learning.arms.ARMS`."""

    best_share: float = 0.5
    penalty: float = 2.0
    overall: Counts = field(default_factory=Counts)
    segments: dict[str, Counts] = field(default_factory=dict)
    buckets: dict[str, Counts] = field(default_factory=dict)
    updates: int = 0
    reward: str = "paid"  # see the module's docstring
    _cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    # -- posterior -------------------------------------------------------------------------
    def posterior(self, segment: str, bucket: str) -> tuple[np.ndarray, np.ndarray]:
        """(alpha, beta) of every arm in `bucket` of `segment`, pooled bucket → segment → overall."""
        cached = self._cache.get((segment, bucket))
        if cached is not None:
            return cached
        prior = UPLIFT_PRIOR_MEAN if self.reward == "uplift" else PRIOR_MEAN
        a0 = prior * PRIOR_STRENGTH + self.overall.success
        b0 = (1 - prior) * PRIOR_STRENGTH + self.overall.failure
        overall_mean = a0 / (a0 + b0)
        seg = self.segments.get(segment) or Counts()
        seg_mean = (SEGMENT_STRENGTH * overall_mean + seg.success) / (SEGMENT_STRENGTH + seg.success + seg.failure)
        own = self.buckets.get(bucket) or Counts()
        alpha = BUCKET_STRENGTH * seg_mean + own.success
        beta = BUCKET_STRENGTH * (1 - seg_mean) + own.failure
        self._cache[(segment, bucket)] = (alpha, beta)
        return alpha, beta

    def means(self, segment: str, bucket: str) -> np.ndarray:
        alpha, beta = self.posterior(segment, bucket)
        return np.asarray(alpha / (alpha + beta))

    # -- choice ----------------------------------------------------------------------------
    def order(
        self, segment: str, bucket: str, arms: Sequence[Arm], rng: np.random.Generator
    ) -> tuple[list[Arm], str, np.ndarray]:
        """`arms` in the order the learner prefers them now, the mode, and the scores used."""
        idx = np.fromiter((ARM_INDEX[a] for a in arms), dtype=np.int64, count=len(arms))
        alpha, beta = self.posterior(segment, bucket)
        if rng.random() < self.best_share:
            mode, scores = "exploit", alpha[idx] / (alpha[idx] + beta[idx])
        else:
            mode, scores = "explore", rng.beta(alpha[idx], beta[idx])
        ranked = np.argsort(-scores, kind="stable")
        return [arms[i] for i in ranked], mode, scores[ranked]

    def choose(
        self, segment: str, bucket: str, arms: Sequence[Arm], allows: Callable[[Arm], bool], rng: np.random.Generator
    ) -> Pick | None:
        """The preferred arm among `arms` that `allows(arm)` (the policy engine's verdict), or None
        when the engine allows none. Arms the engine denies are never returned."""
        if not arms:
            return None
        ordered, mode, scores = self.order(segment, bucket, arms, rng)
        alpha, beta = self.posterior(segment, bucket)
        for arm, score in zip(ordered, scores, strict=True):
            if allows(arm):
                i = ARM_INDEX[arm]
                n = float(alpha[i] + beta[i])
                return Pick(arm, mode, float(score), float(alpha[i] / n), n)
        return None

    # -- learning --------------------------------------------------------------------------
    def update(self, segment: str, bucket: str, arm: Arm, *, paid: bool, opted_out: bool, complained: bool) -> None:
        """Add one outcome: success when paid within the window; failure otherwise; `penalty`
        more failures for an opt-out and for a complaint."""
        if self.reward != "paid":
            raise ValueError("this learner's reward is the uplift: use update_uplift")
        self._add(segment, bucket, arm, 1.0 if paid else 0.0, 1.0 if not paid else 0.0, opted_out, complained)

    def update_uplift(
        self, segment: str, bucket: str, arm: Arm, *, paid: bool, baseline: float, opted_out: bool, complained: bool
    ) -> None:
        """Add one outcome as an uplift: paid (1 or 0) minus `baseline`, the probability it would have
        been paid in the window without the message; `penalty` more failures for an opt-out and for
        a complaint."""
        if self.reward != "uplift":
            raise ValueError("this learner's reward is paid within the window: use update")
        uplift = (1.0 if paid else 0.0) - min(max(baseline, 0.0), 1.0)
        self._add(segment, bucket, arm, (1 + uplift) / 2, (1 - uplift) / 2, opted_out, complained)

    def _add(
        self, segment: str, bucket: str, arm: Arm, success: float, failure: float, opted_out: bool, complained: bool
    ) -> None:
        i = ARM_INDEX[arm]
        failure += self.penalty * (int(opted_out) + int(complained))
        for counts in (
            self.overall,
            self.segments.setdefault(segment, Counts()),
            self.buckets.setdefault(bucket, Counts()),
        ):
            counts.success[i] += success
            counts.failure[i] += failure
        self.updates += 1
        self._cache.clear()

    def value(self, mean: float) -> float:
        """A posterior mean in the reward's own units: the paid rate, or the uplift 2m - 1."""
        return 2 * mean - 1 if self.reward == "uplift" else mean

    def preferred(self, segment: str, top: int = 3) -> list[tuple[str, float, float]]:
        """The segment's best arms by pooled mean: (arm key, value (:meth:`value`), evidence)."""
        alpha, beta = self.posterior(segment, f"{segment}|*")
        means = alpha / (alpha + beta)
        means = 2 * means - 1 if self.reward == "uplift" else means
        order = np.argsort(-means, kind="stable")[:top]
        seg = self.segments.get(segment) or Counts()
        return [
            (ARMS[i].key, round(float(means[i]), 3), round(float(seg.success[i] + seg.failure[i]), 1)) for i in order
        ]

    # -- state -----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "arms": [arm.key for arm in ARMS],
            "reward": self.reward,
            "best_share": self.best_share,
            "penalty": self.penalty,
            "updates": self.updates,
            "overall": self.overall.to_json(),
            "segments": {k: v.to_json() for k, v in sorted(self.segments.items())},
            "buckets": {k: v.to_json() for k, v in sorted(self.buckets.items())},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ThompsonLearner:
        if [Arm.parse(k) for k in data["arms"]] != list(ARMS):
            raise ValueError("the stored learner state has other arms than this code: start a new state")
        return cls(
            best_share=float(data["best_share"]),
            penalty=float(data["penalty"]),
            overall=Counts.from_json(data["overall"]),
            segments={k: Counts.from_json(v) for k, v in data["segments"].items()},
            buckets={k: Counts.from_json(v) for k, v in data["buckets"].items()},
            updates=int(data["updates"]),
            reward=str(data.get("reward", "paid")),  # states stored before the uplift reward are 'paid'
        )


def playbook_arms(playbook: Playbook) -> dict[str, set[Arm]]:
    """Per segment, the arms the fixed playbook uses: each message step's channels (any of them
    may be the first one a contact can receive), at 09:00 Mexico City, in the step's tone."""
    found: dict[str, set[Arm]] = {}
    for step in playbook.steps:
        if step.action != "message":
            continue
        for segment in step.segments:
            for channel in step.channels:
                if channel in CHANNELS:
                    found.setdefault(segment, set()).add(Arm(channel, PLAYBOOK_BLOCK, step.tone))
    return found


def warm_start(
    playbook: Playbook, *, best_share: float = 0.5, penalty: float = 2.0, reward: str = "paid"
) -> ThompsonLearner:
    """A learner whose segments start with :data:`WARM_PSEUDO` pseudo-outcomes at :data:`WARM_MEAN`
    (:data:`UPLIFT_WARM_MEAN` for the uplift reward) on the playbook's arms: it leans to the
    playbook until evidence says otherwise."""
    if reward not in REWARDS:
        raise ValueError(f"unknown reward {reward!r}: one of {REWARDS}")
    learner = ThompsonLearner(best_share=best_share, penalty=penalty, reward=reward)
    mean = UPLIFT_WARM_MEAN if reward == "uplift" else WARM_MEAN
    for segment, arms in playbook_arms(playbook).items():
        counts = learner.segments.setdefault(segment, Counts())
        for arm in arms:
            counts.success[ARM_INDEX[arm]] += WARM_PSEUDO * mean
            counts.failure[ARM_INDEX[arm]] += WARM_PSEUDO * (1 - mean)
    return learner
