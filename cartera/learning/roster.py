"""Champion and challenger: which strategy serves the customers, and how a person changes it.

Every customer falls in one arm, by hashes of its id (random with respect to everything about
it, stable across days):

- ``control`` (10 %, :mod:`cartera.learning.control`): the fixed playbook, whatever is promoted;
- ``challenger`` (the share a person started it on, drawn with the challenger's own salt): the
  strategy being tried;
- ``champion``: everyone else, served by the latest strategy a person promoted — the fixed
  playbook until someone does.

The roster is read from ``ops.strategy_decisions`` (append-only, cartera/sql/62_strategy_uplift.sql).
A person starts a challenger (:func:`challenge`), then promotes it (:func:`promote`) — accepted only
when the stated improvement of the challenger over the champion, on the same days and the
randomized customers of each arm, has a 95 % interval clearing the stated minimum, and opt-outs and
complaints are not measurably worse — or rejects it (:func:`reject`). Each accepted or refused
decision is a row with the person's name, the instant, what was asked and the evidence.

The build takes the roster through :class:`RosterBuild`: customers of a learned arm (and the
control group, which the learned strategy keeps on the playbook) go through the learned strategy,
the others get the fixed playbook unchanged; each customer's arm is recorded the first time a
build has a step for it (``ops.strategy_assignments``), which is what the live uplift reads.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import psycopg

from cartera.campaigns.candidates import Candidate
from cartera.deciders import named_person as _person
from cartera.deciders import os_user as _os_user
from cartera.learning.control import draw, group_of
from cartera.learning.production import BuildStrategy
from cartera.learning.uplift import BETTER, MIN_CUSTOMERS, experiment_span, load_facts, uplift
from cartera.policy.engine import PolicyEngine

STRATEGIES = ("fixed", "learned")
Arm = Literal["control", "champion", "challenger"]
MAX_CHALLENGER_SHARE = 0.5
GUARDRAILS = ("opt_outs_per_100", "complaints_per_100")  # must not be measurably worse


@dataclass(frozen=True)
class Roster:
    """The strategies in force: `experiment` names the period they have been (for the uplift)."""

    experiment: str
    champion: str = "fixed"
    challenger: str | None = None
    challenger_share: float = 0.0

    @property
    def salt(self) -> str:
        return f"challenger:{self.experiment}"

    @property
    def uses_learner(self) -> bool:
        return "learned" in (self.champion, self.challenger)

    def arm_of(self, customer_id: str) -> tuple[Arm, str]:
        """(arm, strategy serving it) of a customer."""
        if group_of(customer_id) == "control":
            return "control", "fixed"
        if self.challenger is not None and draw(customer_id, self.salt) < self.challenger_share:
            return "challenger", self.challenger
        return "champion", self.champion


LEARNED_BY_SETTING = Roster("setting:learned", champion="learned")


def current(conn: psycopg.Connection[Any]) -> Roster:
    """The roster the accepted decisions in ``ops.strategy_decisions`` leave in force."""
    promoted = conn.execute(
        "select strategy from ops.strategy_decisions where action = 'promote' order by decision_id desc limit 1"
    ).fetchone()
    champion = str(promoted[0]) if promoted else "fixed"
    last = conn.execute(
        "select decision_id, action, strategy, challenger_share from ops.strategy_decisions "
        "where action in ('challenge', 'promote', 'reject') order by decision_id desc limit 1"
    ).fetchone()
    if last is None:
        return Roster("roster:0", champion)
    decision_id, action, strategy, share = last
    if action == "challenge":
        return Roster(f"roster:{decision_id}", champion, str(strategy), float(share))
    return Roster(f"roster:{decision_id}", champion)


# -- the build -----------------------------------------------------------------------------------
class RosterBuild(BuildStrategy):
    """A learned :class:`~cartera.learning.production.BuildStrategy` serving only the customers
    the roster gives a learned arm (and the control group, kept on the playbook by it); the others
    get the fixed playbook exactly as without a strategy. Records each customer's arm."""

    def __init__(self, learned: BuildStrategy, roster: Roster, *, at: dt.datetime) -> None:
        super().__init__(learned.strategy, learner=learned.learner)
        self.roster, self.at = roster, at

    def _learned(self, customer_id: str) -> bool:
        arm, strategy = self.roster.arm_of(customer_id)
        return arm == "control" or strategy == "learned"

    def plan(self, conn: psycopg.Connection[Any], as_of: dt.date, candidates: Sequence[Candidate]) -> list[Candidate]:
        seen: set[str] = set()
        for c in candidates:
            if c.customer_id in seen:
                continue
            seen.add(c.customer_id)
            arm, strategy = self.roster.arm_of(c.customer_id)
            conn.execute(
                "insert into ops.strategy_assignments (experiment, customer_id, arm, strategy, segment, assigned_on, "
                "assigned_at) values (%s, %s, %s, %s, %s, %s, %s) on conflict do nothing",
                (self.roster.experiment, c.customer_id, arm, strategy, c.segment, as_of, self.at),
            )
        learned = [c for c in candidates if self._learned(c.customer_id)]
        fixed = [c for c in candidates if not self._learned(c.customer_id)]
        return super().plan(conn, as_of, learned) + fixed

    def choose(
        self,
        conn: psycopg.Connection[Any],
        message: Candidate,
        profile: Any,
        holds: Sequence[Any],
        planned_at: dt.datetime,
        engine: PolicyEngine,
        batch_id: str,
        as_of: dt.date,
    ) -> tuple[Candidate, dt.datetime]:
        if self._learned(message.customer_id):
            return super().choose(conn, message, profile, holds, planned_at, engine, batch_id, as_of)
        return message, planned_at  # the fixed playbook: the build's own channel and instant


# -- a person's decisions ------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """What became of a request: accepted or refused, why, and the audit row's id."""

    accepted: bool
    reason: str
    decision_id: int
    evidence: dict[str, Any]


def _record(
    conn: psycopg.Connection[Any],
    *,
    at: dt.datetime,
    by: str,
    action: str,
    strategy: str,
    roster: Roster,
    reason: str,
    attempted: str | None = None,
    share: float | None = None,
    metric: str | None = None,
    min_improvement: float | None = None,
    evidence: dict[str, Any] | None = None,
    note: str | None = None,
) -> int:
    row = conn.execute(
        "insert into ops.strategy_decisions (decided_at, decided_by, os_user, action, attempted, strategy, "
        "champion_before, challenger_share, experiment, metric, min_improvement, evidence, reason, note) "
        "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning decision_id",
        (
            at, by, _os_user(), action, attempted, strategy, roster.champion, share, roster.experiment, metric,
            min_improvement, json.dumps(evidence or {}), reason, note,
        ),
    ).fetchone()  # fmt: skip
    return int(row[0]) if row else 0


def challenge(
    conn: psycopg.Connection[Any], strategy: str, share: float, *, by: str, at: dt.datetime, note: str | None = None
) -> Outcome:
    """Start `strategy` as the challenger on `share` of the customers outside the control group
    (a new experiment; a running challenger is replaced). Refused (and audited) for an unknown
    strategy, the champion itself, or a share outside (0, 0.5]."""
    person = _person(by)
    roster = current(conn)
    reason = ""
    if strategy not in STRATEGIES:
        reason = f"unknown strategy {strategy!r}: one of {', '.join(STRATEGIES)}"
    elif strategy == roster.champion:
        reason = f"{strategy} is already the champion"
    elif not 0 < share <= MAX_CHALLENGER_SHARE:
        reason = f"the challenger's share must be in (0, {MAX_CHALLENGER_SHARE}], got {share}"
    if reason:
        did = _record(conn, at=at, by=person, action="refused", attempted="challenge", strategy=strategy,
                      roster=roster, reason=reason, note=note)  # fmt: skip
        return Outcome(False, reason, did, {})
    reason = f"{strategy} challenges {roster.champion} on {share:.0%} of the customers outside the control group"
    did = _record(conn, at=at, by=person, action="challenge", strategy=strategy, roster=roster, reason=reason,
                  share=share, note=note)  # fmt: skip
    return Outcome(True, reason, did, {})


def evidence(
    conn: psycopg.Connection[Any], roster: Roster, as_of: dt.date, *, resamples: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """The challenger's uplift over the champion in the roster's experiment up to `as_of`, every
    figure of :data:`~cartera.learning.uplift.BETTER` with its 95 % interval, and the customers
    of each arm. Empty when there is no challenger or nobody was assigned yet."""
    if roster.challenger is None:
        return {}
    span = experiment_span(conn, roster.experiment, as_of)
    if span is None:
        return {"experiment": roster.experiment, "customers": {"challenger": 0, "champion": 0}}
    facts = load_facts(conn, span.name, span.date_from, span.date_to)
    treated, base = facts.rows(arm="challenger"), facts.rows(arm="champion")
    return {
        "experiment": span.name,
        "from": span.date_from.isoformat(),
        "to": span.date_to.isoformat(),
        "customers": {"challenger": len(treated), "champion": len(base)},
        "resamples": resamples,
        "uplift": uplift(facts, treated, base, resamples=resamples, seed=seed),
    }


def judge(found: dict[str, Any], metric: str, min_improvement: float) -> str | None:
    """Why the evidence does not support promoting (None when it does): the relative change of
    `metric` must clear `min_improvement` in its better direction over its whole 95 % interval,
    with enough customers in both arms, and no guardrail (opt-outs, complaints per customer)
    measurably worse."""
    if metric not in BETTER or metric in GUARDRAILS:
        return f"{metric!r} is not a figure a promotion can rest on: one of {', '.join(k for k in BETTER if k not in GUARDRAILS)}"
    if not found:
        return "no challenger is running: there is nothing to promote"
    counts = found.get("customers", {})
    if min(counts.get("challenger", 0), counts.get("champion", 0)) < MIN_CUSTOMERS:
        return f"not enough evidence: fewer than {MIN_CUSTOMERS} customers in an arm ({counts})"
    row = found["uplift"][metric]
    low, high = row["rel_low"], row["rel_high"]
    if low is None or high is None:
        return f"not enough evidence: no interval for {metric}"
    bound = min_improvement * BETTER[metric]  # the change the whole interval must be beyond
    if (BETTER[metric] > 0 and low <= bound) or (BETTER[metric] < 0 and high >= bound):
        return f"{metric} {row['rel']:+.1%} [{low:+.1%}, {high:+.1%}]: the interval does not clear {bound:+.1%}"
    for guard in GUARDRAILS:
        low_diff = found["uplift"][guard]["diff_low"]
        if low_diff is not None and low_diff > 0:
            return f"{guard} is measurably worse under the challenger (difference's interval above 0)"
    return None


def promote(
    conn: psycopg.Connection[Any],
    *,
    by: str,
    metric: str,
    at: dt.datetime,
    as_of: dt.date,
    min_improvement: float = 0.0,
    resamples: int = 1000,
    note: str | None = None,
) -> Outcome:
    """Make the challenger the champion when the evidence supports `metric`'s stated improvement
    (:func:`judge`); otherwise refuse. Either way one audited row with the evidence."""
    person = _person(by)
    roster = current(conn)
    found = evidence(conn, roster, as_of, resamples=resamples)
    why_not = judge(found, metric, min_improvement)
    common: dict[str, Any] = {"metric": metric, "min_improvement": min_improvement, "evidence": found, "note": note}
    if why_not is not None:
        did = _record(conn, at=at, by=person, action="refused", attempted="promote",
                      strategy=roster.challenger or "-", roster=roster, reason=why_not, **common)  # fmt: skip
        return Outcome(False, why_not, did, found)
    assert roster.challenger is not None  # judge refuses without a challenger
    row = found["uplift"][metric]
    reason = (
        f"{roster.challenger} replaces {roster.champion}: {metric} {row['rel']:+.1%} "
        f"[{row['rel_low']:+.1%}, {row['rel_high']:+.1%}] on {found['customers']}"
    )
    did = _record(conn, at=at, by=person, action="promote", strategy=roster.challenger, roster=roster,
                  reason=reason, **common)  # fmt: skip
    return Outcome(True, reason, did, found)


def reject(conn: psycopg.Connection[Any], *, by: str, at: dt.datetime, note: str | None = None) -> Outcome:
    """End the running challenger (its customers go back to the champion); audited."""
    person = _person(by)
    roster = current(conn)
    if roster.challenger is None:
        reason = "no challenger is running: there is nothing to reject"
        did = _record(conn, at=at, by=person, action="refused", attempted="reject", strategy="-", roster=roster,
                      reason=reason, note=note)  # fmt: skip
        return Outcome(False, reason, did, {})
    reason = f"{roster.challenger} rejected; {roster.champion} stays the champion"
    did = _record(conn, at=at, by=person, action="reject", strategy=roster.challenger, roster=roster,
                  reason=reason, note=note)  # fmt: skip
    return Outcome(True, reason, did, {})


def for_build(conn: psycopg.Connection[Any], setting: str) -> Roster | None:
    """The roster a build follows: None for the fixed playbook alone (``CARTERA_STRATEGY=fixed``,
    or a roster with no learned strategy in it), the learned one for everyone outside the control
    group (``learned``), else what people decided (``roster``)."""
    if setting == "fixed":
        return None
    if setting == "learned":
        return LEARNED_BY_SETTING
    try:
        with conn.transaction():
            roster = current(conn)
    except psycopg.errors.UndefinedTable:  # a warehouse from before champion/challenger: nothing decided
        return None
    return roster if roster.uses_learner else None
