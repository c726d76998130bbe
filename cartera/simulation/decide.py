"""Deciding one day: the production build's steps, in memory, for any strategy.

The same calls, in the same order, as :func:`cartera.campaigns.build.build_batch`:
:func:`~cartera.campaigns.candidates.build_candidates` on the day's open items, segments and the
(step, invoice) pairs already fired → the strategy's plan → per customer, the service's own
collectibility filter (``_collectible``: paid, disputed, held invoices out), escalations first,
:func:`~cartera.campaigns.daily_message.merge_day` into one message, the strategy's channel /
hour / tone → :func:`~cartera.campaigns.contact_check.check` with the policy engine. Only the
reads (Postgres) are replaced by the caller's in-memory inputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cartera.campaigns.build import _collectible, _statement_items
from cartera.campaigns.candidates import Candidate, OpenItem, build_candidates
from cartera.campaigns.contact_check import check
from cartera.campaigns.contact_data import unknown_profile
from cartera.campaigns.daily_message import DailyMessage, merge_day
from cartera.campaigns.playbook import Playbook, Segment
from cartera.learning.preventive import Note
from cartera.learning.strategy import Choice, Strategy
from cartera.policy.engine import PolicyEngine
from cartera.policy.models import ContactProfile, Decision, Hold, Payment, SentMessage


@dataclass
class DayInputs:
    """What the build reads for one business date (here from memory)."""

    as_of: dt.date
    open_items: Sequence[OpenItem]
    segments: Mapping[str, Segment]
    covered: set[tuple[str, str]]
    profiles: Mapping[str, ContactProfile]
    history: Mapping[str, Sequence[SentMessage]] = field(default_factory=dict)
    holds: Mapping[str, Sequence[Hold]] = field(default_factory=dict)
    payments: Mapping[str, Sequence[Payment]] = field(default_factory=dict)
    last_response: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomerDay:
    """One customer's outcome of the build: a message (`choice`, `verdict`, `daily`), escalations,
    or nothing (`denied`)."""

    customer_id: str
    escalations: tuple[Candidate, ...] = ()
    choice: Choice | None = None
    verdict: Decision | None = None
    daily: DailyMessage | None = None


def decide_day(
    strategy: Strategy, inputs: DayInputs, playbook: Playbook, engine: PolicyEngine, planned_at: dt.datetime
) -> tuple[list[CustomerDay], list[Note]]:
    candidates = build_candidates(inputs.open_items, inputs.segments, playbook, inputs.covered)
    candidates, notes = strategy.plan(candidates, inputs.covered)
    statements = _statement_items(inputs.open_items)
    due_by_customer: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        due_by_customer.setdefault(candidate.customer_id, []).append(candidate)
    results: list[CustomerDay] = []
    for customer, due in sorted(due_by_customer.items()):
        holds = inputs.holds.get(customer, ())
        _, live, listed = _collectible(due, statements.get(customer, []), holds, planned_at)
        if not live:
            results.append(CustomerDay(customer))
            continue
        escalations = tuple(c for c in live if c.step.action == "escalate")
        if escalations:
            results.append(CustomerDay(customer, escalations=escalations))
            continue
        daily = merge_day(live, listed)
        profile = inputs.profiles.get(customer) or unknown_profile(customer)
        history = inputs.history.get(customer, ())
        payments = inputs.payments.get(customer, ())
        choice = strategy.choose(
            daily.candidate,
            profile,
            history,
            holds,
            payments,
            planned_at,
            engine,
            inputs.last_response.get(customer, "none"),
        )
        verdict = choice.verdict or check(
            choice.message, profile, history, holds, choice.at, payments=payments, engine=engine
        )
        results.append(CustomerDay(customer, choice=choice, verdict=verdict, daily=daily))
    return results, notes
