"""The day loop: one strategy on one simulated world.

Each simulated day D:
1. deferred messages whose instant has come are checked again at that instant (as dispatch does)
   and sent, deferred again or cancelled;
2. the build decides the day (:func:`cartera.simulation.decide.decide_day`: production code) on
   the open items known on D (issued before D), segments from each customer's settled history
   (:func:`ml.segments.segment_of`, the scoring job's own rules) and the (step, invoice) pairs
   already fired; allowed messages are "sent" at their instant, deferred ones queued,
   escalations go to a collector;
3. each sent message's response is simulated (:mod:`cartera.simulation.responses`): it may move
   pay days, promise, dispute, opt out or complain; opt-outs and holds take effect for the engine;
4. invoices whose pay day is D are paid; invoices issued on D join the book;
5. the learner (learned policy) is updated with the outcomes of messages sent `window_days` ago:
   paid within the window, opted out, complained — one new state version per day with outcomes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cartera.campaigns.build import default_planned_at
from cartera.campaigns.candidates import OpenItem
from cartera.campaigns.contact_check import check, hold_from, policy_engine
from cartera.campaigns.contact_data import contact_profile
from cartera.campaigns.playbook import Playbook, Segment, load_playbook
from cartera.learning.arms import Arm, block_of, zone_of
from cartera.learning.context import context_of
from cartera.learning.strategy import Choice, FixedPlaybook, LearnedStrategy, Strategy
from cartera.learning.thompson import warm_start
from cartera.policy.models import ContactProfile, Decision, Hold, Payment, SentMessage
from cartera.run_dates import BOOKS_TZ
from cartera.simulation.decide import DayInputs, decide_day
from cartera.simulation.responses import collector_call, respond
from cartera.simulation.world import SimCustomer, SimInvoice, World, build_world

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class SimConfig:
    days: int = 120
    customers: int = 400
    seed: int = 1
    policy: str = "fixed"  # fixed | learned
    window_days: int = 14  # "paid within N days of the message" (the marts' attribution window)
    control_share: float = 0.10
    best_share: float = 0.5
    preventive: bool = True


@dataclass
class SentRecord:
    customer_id: str
    day: dt.date
    at: dt.datetime
    arm: Arm
    step: str
    invoice_ids: tuple[str, ...]
    group: str
    mode: str
    segment: str
    bucket: str
    read: bool = False
    engaged: bool = False
    complained: bool = False
    opt_out: str | None = None


@dataclass
class SimResult:
    config: SimConfig
    world: World
    groups: dict[str, str]  # customer -> 'control' | 'learner' | 'fixed'
    messages: list[SentRecord] = field(default_factory=list)
    tasks: list[tuple[str, dt.date]] = field(default_factory=list)
    notes: Counter[str] = field(default_factory=Counter)
    learner_versions: int = 0
    learner_state: dict[str, Any] | None = None
    preferred: dict[str, list[tuple[str, float, float]]] = field(default_factory=dict)


@dataclass
class _Pending:
    choice: Choice
    not_before: dt.datetime
    segment: str


class _Run:
    def __init__(self, config: SimConfig, world: World, strategy: Strategy, playbook: Playbook) -> None:
        self.config, self.world, self.strategy, self.playbook = config, world, strategy, playbook
        self.engine = policy_engine()
        self.customers: dict[str, SimCustomer] = {c.customer_id: c for c in world.customers}
        self.invoices: dict[str, SimInvoice] = {i.invoice_id: i for i in world.invoices}
        self.open: dict[str, SimInvoice] = {
            i.invoice_id: i for i in world.invoices if i.issue < world.start and i.paid_on is None
        }
        self.settled: dict[str, list[int]] = {}
        for invoice in sorted(world.invoices, key=lambda i: (i.paid_on or dt.date.max, i.invoice_id)):
            if invoice.paid_on is not None:
                self.settled.setdefault(invoice.customer_id, []).append((invoice.paid_on - invoice.due).days)
        self.covered: set[tuple[str, str]] = set()
        self.history: dict[str, list[SentMessage]] = {}
        self.holds: dict[str, list[Hold]] = {}
        self.opted_out: dict[str, set[str]] = {}
        self.paid_days: dict[str, list[dt.date]] = {}
        self.last_response: dict[str, str] = {}
        self.pending: list[_Pending] = []
        self.sent_on: dict[dt.date, list[SentRecord]] = {}
        groups = {
            c.customer_id: strategy.group(c.customer_id) if isinstance(strategy, LearnedStrategy) else "fixed"
            for c in world.customers
        }
        self.result = SimResult(config, world, groups)

    # -- the build's inputs ------------------------------------------------------------------
    def _p_late(self, customer_id: str) -> float:
        past = self.settled.get(customer_id, [])
        return (1 + sum(1 for late in past if late > 0)) / (2 + len(past))

    def _segments(self) -> dict[str, Segment]:
        from ml.segments import segment_of

        found: dict[str, Segment] = {}
        for customer_id in self.customers:
            past = self.settled.get(customer_id, [])
            last10 = past[-10:]
            n = len(past)
            row = {
                "cust_n_settled": n,
                "cust_late_share": (sum(1 for x in past if x > 0) / n) if n else None,
                "cust_late_last10": sum(1 for x in last10 if x > 0),
                "cust_n_last10": len(last10),
                "cust_trend_days_late": None,
                "risk_score": self._p_late(customer_id),
            }
            found[customer_id] = segment_of(row)[0]  # type: ignore[assignment]
        return found

    def _item(self, invoice: SimInvoice, day: dt.date) -> OpenItem:
        amount = Decimal(str(invoice.amount_mxn)) if invoice.paid_on is None else Decimal(0)
        return OpenItem(
            invoice_id=invoice.invoice_id,
            invoice_number=invoice.number,
            customer_id=invoice.customer_id,
            due_date=invoice.due,
            currency="MXN",
            open_amount=amount,
            open_amount_mxn=amount,
            days_past_due=(day - invoice.due).days,
            is_disputed=invoice.disputed_until is not None and invoice.disputed_until >= day,
            p_late=self._p_late(invoice.customer_id),
            issue_date=invoice.issue,
        )

    def _profile(self, customer: SimCustomer) -> ContactProfile:
        return contact_profile(
            customer.customer_id,
            timezone=customer.timezone,
            has_email=customer.has_email,
            email_opt_out=customer.email_opt_out,
            whatsapp_opt_in=customer.whatsapp_opt_in,
            has_mobile=customer.has_mobile,
            sms_opt_out=customer.sms_opt_out,
            opted_out_channels=frozenset(self.opted_out.get(customer.customer_id, ())),
            state=customer.state,
        )

    def _payments(self, customer_id: str, day: dt.date) -> list[Payment]:
        at_end = [
            dt.datetime.combine(paid + _DAY, dt.time(0), tzinfo=BOOKS_TZ)
            for paid in self.paid_days.get(customer_id, [])
            if day - dt.timedelta(days=7) < paid < day
        ]
        return [Payment(f"payment:{customer_id}:{i}", at, settles_invoice=False) for i, at in enumerate(at_end)]

    def _scheduled(self, customer_id: str) -> list[SentMessage]:
        sent = list(self.history.get(customer_id, []))
        sent += [
            SentMessage(p.not_before, p.choice.message.channel or "email", p.choice.message.invoice_ids)
            for p in self.pending
            if p.choice.message.customer_id == customer_id
        ]
        return sent

    # -- sending -------------------------------------------------------------------------------
    def _send(self, choice: Choice, at: dt.datetime, segment: str) -> None:
        message = choice.message
        customer = self.customers[message.customer_id]
        channel = message.channel or "email"
        zone = zone_of(self._profile(customer))
        day = at.astimezone(zone).date()
        arm = Arm(channel, block_of(at, zone), message.step.tone)
        recent = sum(1 for m in self.history.get(customer.customer_id, []) if at - dt.timedelta(days=7) < m.at < at)
        listed = [self.invoices[i] for i in message.invoice_ids]
        context = choice.context or context_of(message, self.last_response.get(customer.customer_id, "none"))
        response = respond(
            self.world.seed, customer, listed, channel=channel, block=arm.block, tone=arm.tone, day=day, recent=recent
        )
        self.history.setdefault(customer.customer_id, []).append(SentMessage(at, channel, message.invoice_ids))
        record = SentRecord(
            customer.customer_id,
            day,
            at,
            arm,
            message.step.name,
            message.invoice_ids,
            choice.group,
            choice.mode,
            segment,
            context.bucket,
            response.read,
            response.engaged,
            response.complained,
            response.opt_out,
        )
        self.result.messages.append(record)
        self.sent_on.setdefault(day, []).append(record)
        if response.read:
            self.last_response[customer.customer_id] = "engaged" if response.engaged else "ignored"
        else:
            self.last_response[customer.customer_id] = "ignored"
        if response.opt_out:
            self.opted_out.setdefault(customer.customer_id, set()).add(response.opt_out)
        if response.promise_until is not None:
            until = dt.datetime.combine(response.promise_until, dt.time(0), tzinfo=zone)
            self.holds.setdefault(customer.customer_id, []).append(hold_from("promise_to_pay", None, at, until=until))
        for invoice_id, resolved in response.disputed:
            released = dt.datetime.combine(resolved, dt.time(0), tzinfo=zone)
            self.holds.setdefault(customer.customer_id, []).append(
                hold_from("dispute", invoice_id, at, released_at=released)
            )

    def _release_pending(self, day: dt.date) -> None:
        end_of_day = dt.datetime.combine(day + _DAY, dt.time(0), tzinfo=BOOKS_TZ)
        waiting: list[_Pending] = []
        for item in sorted(self.pending, key=lambda p: p.not_before):
            if item.not_before >= end_of_day:
                waiting.append(item)
                continue
            message = item.choice.message
            fresh = message.with_invoices(self._item(self.invoices[i], day) for i in message.invoice_ids)
            customer = self.customers[message.customer_id]
            others = [p for p in waiting if p.choice.message.customer_id == message.customer_id]
            history = self.history.get(message.customer_id, []) + [
                SentMessage(p.not_before, p.choice.message.channel or "email", ()) for p in others
            ]
            verdict = check(
                fresh,
                self._profile(customer),
                history,
                self.holds.get(message.customer_id, []),
                item.not_before,
                payments=self._payments(message.customer_id, day),
                engine=self.engine,
            )
            if verdict.verdict == "allow":
                self._send(item.choice, item.not_before, item.segment)
            elif verdict.verdict == "defer" and verdict.next_allowed_at is not None:
                waiting.append(_Pending(item.choice, verdict.next_allowed_at, item.segment))
        self.pending = waiting

    # -- one day ---------------------------------------------------------------------------------
    def day(self, day: dt.date) -> None:
        self._release_pending(day)
        known = [i for i in self.open.values() if i.issue < day]
        items = [self._item(i, day) for i in known]
        segments = self._segments()
        customers = {i.customer_id for i in known}
        inputs = DayInputs(
            as_of=day,
            open_items=items,
            segments=segments,
            covered=self.covered,
            profiles={c: self._profile(self.customers[c]) for c in customers},
            history={c: self._scheduled(c) for c in customers},
            holds={c: self.holds.get(c, []) for c in customers},
            payments={c: self._payments(c, day) for c in customers},
            last_response=self.last_response,
        )
        planned_at = default_planned_at(day)
        outcomes, notes = decide_day(self.strategy, inputs, self.playbook, self.engine, planned_at)
        self.result.notes.update(n.code for n in notes)
        for outcome in outcomes:
            customer = self.customers[outcome.customer_id]
            if outcome.escalations:
                invoices = []
                for escalation in outcome.escalations:
                    self.covered.update((escalation.step.name, i) for i in escalation.invoice_ids)
                    invoices += [self.invoices[i] for i in escalation.invoice_ids]
                self.result.tasks.append((customer.customer_id, day))
                collector_call(self.world.seed, customer, invoices, day)
                continue
            if outcome.choice is None or outcome.verdict is None or outcome.daily is None:
                continue
            verdict: Decision = outcome.verdict
            if verdict.verdict == "deny":
                continue
            self.covered.update(outcome.daily.covered)
            segment = segments.get(customer.customer_id, "new")
            if verdict.verdict == "allow":
                self._send(outcome.choice, outcome.choice.at, segment)
            elif verdict.next_allowed_at is not None:
                self.pending.append(_Pending(outcome.choice, verdict.next_allowed_at, segment))
        for invoice in list(self.open.values()):
            if invoice.pay_day is not None and invoice.pay_day <= day:
                if invoice.disputed_until is not None and invoice.disputed_until >= day:
                    continue
                invoice.paid_on = day
                del self.open[invoice.invoice_id]
                self.settled.setdefault(invoice.customer_id, []).append((day - invoice.due).days)
                self.paid_days.setdefault(invoice.customer_id, []).append(day)
        for invoice in self.world.invoices:
            if invoice.issue == day:
                self.open[invoice.invoice_id] = invoice
        self._learn(day)

    def _learn(self, day: dt.date) -> None:
        if not isinstance(self.strategy, LearnedStrategy):
            return
        window = dt.timedelta(days=self.config.window_days)
        learner = self.strategy.learner
        updated = False
        for record in self.sent_on.get(day - window, []):
            paid = any(
                (p := self.invoices[i].paid_on) is not None and record.day < p <= record.day + window
                for i in record.invoice_ids
            )
            learner.update(
                record.segment,
                record.bucket,
                record.arm,
                paid=paid,
                opted_out=record.opt_out is not None,
                complained=record.complained,
            )
            updated = True
        if updated:
            self.strategy.state_version += 1
            self.result.learner_versions += 1


def make_strategy(config: SimConfig, playbook: Playbook) -> Strategy:
    if config.policy == "fixed":
        return FixedPlaybook()
    if config.policy == "learned":
        learner = warm_start(playbook, best_share=config.best_share)
        return LearnedStrategy(
            playbook, learner, control_share=config.control_share, seed=config.seed, use_preventive=config.preventive
        )
    raise ValueError(f"unknown policy {config.policy!r}: use 'fixed' or 'learned'")


def simulate(config: SimConfig, playbook: Playbook | None = None) -> SimResult:
    """Run `config.policy` for `config.days` days on the world of `config.seed`."""
    playbook = playbook or load_playbook()
    world = build_world(config.seed, config.customers, config.days)
    strategy = make_strategy(config, playbook)
    run = _Run(config, world, strategy, playbook)
    for offset in range(config.days):
        run.day(world.start + dt.timedelta(days=offset))
    if isinstance(strategy, LearnedStrategy):
        run.result.learner_state = strategy.learner.to_json()
        run.result.preferred = {s: strategy.learner.preferred(s) for s in sorted(strategy.learner.segments)}
    return run.result
