"""Learned-strategy variants tried in the simulator: the uplift reward, and the "no message
today" arm on top of it (docs/learning.md, "What else was tried").

- ``reward="uplift"``: each message's outcome is paid within the window minus the chance it would
  have been paid without it (:mod:`cartera.learning.baseline`), estimated *when it is sent* from
  what the strategy could know then: the customer's and everyone's settled days late. The hidden
  world (each invoice's pay day without contact) is never read.
- ``send_above``: with the uplift reward, a message goes only when the learner expects it to add
  at least this much (:class:`cartera.learning.no_message.NoMessageStrategy`).

The day loop is the simulator's own (:mod:`cartera.simulation.runner`); only how a sent message
is scored and which strategy decides change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cartera.campaigns.playbook import Playbook, load_playbook
from cartera.learning.baseline import any_paid, paid_without_message
from cartera.learning.no_message import NoMessageStrategy
from cartera.learning.strategy import Choice, LearnedStrategy, Strategy
from cartera.learning.thompson import warm_start
from cartera.simulation.runner import SimConfig, SimResult, _Run, make_strategy
from cartera.simulation.world import build_world


@dataclass(frozen=True)
class Variant:
    """How a learned run differs from the default: its reward, and the no-message arm's threshold
    (None: every chosen message is sent)."""

    reward: str = "paid"
    send_above: float | None = None

    @property
    def label(self) -> str:
        skip = "" if self.send_above is None else f"+no_message>{self.send_above:g}"
        return f"{self.reward}{skip}"


class _VariantRun(_Run):
    """The simulator's day loop, scoring each message by its uplift when the learner asks for it."""

    def __init__(self, config: SimConfig, world: object, strategy: Strategy, playbook: Playbook) -> None:
        super().__init__(config, world, strategy, playbook)  # type: ignore[arg-type]
        self.baselines: dict[int, float] = {}
        self.pooled: list[int] = sorted(late for lates in self.settled.values() for late in lates)

    def _send(self, choice: Choice, at: dt.datetime, segment: str) -> None:
        super()._send(choice, at, segment)
        record = self.result.messages[-1]
        window = self.config.window_days
        rates = []
        for invoice_id in record.invoice_ids:
            invoice = self.invoices[invoice_id]
            if invoice.paid_on is not None:
                continue
            own = self.settled.get(record.customer_id, [])
            rates.append(paid_without_message(own, self.pooled, (record.day - invoice.due).days, window))
        self.baselines[id(record)] = any_paid(rates)

    def day(self, day: dt.date) -> None:
        super().day(day)
        self.pooled = sorted(late for lates in self.settled.values() for late in lates)

    def _learn(self, day: dt.date) -> None:
        strategy = self.strategy
        if not isinstance(strategy, LearnedStrategy) or strategy.learner.reward != "uplift":
            super()._learn(day)
            return
        window = dt.timedelta(days=self.config.window_days)
        updated = False
        for record in self.sent_on.get(day - window, []):
            paid = any(
                (p := self.invoices[i].paid_on) is not None and record.day < p <= record.day + window
                for i in record.invoice_ids
            )
            strategy.learner.update_uplift(
                record.segment,
                record.bucket,
                record.arm,
                paid=paid,
                baseline=self.baselines.get(id(record), 0.0),
                opted_out=record.opt_out is not None,
                complained=record.complained,
            )
            updated = True
        if updated:
            strategy.state_version += 1
            self.result.learner_versions += 1


def make_variant(config: SimConfig, variant: Variant, playbook: Playbook) -> Strategy:
    if config.policy != "learned" or (variant.reward == "paid" and variant.send_above is None):
        return make_strategy(config, playbook)
    if variant.send_above is not None and variant.reward != "uplift":
        raise ValueError("the no-message arm needs the uplift reward")
    learner = warm_start(playbook, best_share=config.best_share, reward=variant.reward)
    common = {"control_share": config.control_share, "seed": config.seed, "use_preventive": config.preventive}
    if variant.send_above is None:
        return LearnedStrategy(playbook, learner, **common)  # type: ignore[arg-type]
    return NoMessageStrategy(playbook, learner, send_above=variant.send_above, **common)  # type: ignore[arg-type]


def simulate_variant(config: SimConfig, variant: Variant, playbook: Playbook | None = None) -> SimResult:
    """:func:`cartera.simulation.runner.simulate` with `variant`'s reward and no-message arm."""
    playbook = playbook or load_playbook()
    world = build_world(config.seed, config.customers, config.days)
    strategy = make_variant(config, variant, playbook)
    run = _VariantRun(config, world, strategy, playbook)
    for offset in range(config.days):
        run.day(world.start + dt.timedelta(days=offset))
    if isinstance(strategy, LearnedStrategy):
        run.result.learner_state = strategy.learner.to_json()
        run.result.preferred = {s: strategy.learner.preferred(s) for s in sorted(strategy.learner.segments)}
    return run.result
