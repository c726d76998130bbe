from __future__ import annotations

from collections import Counter
from functools import cache

from cartera.simulation.metrics import METRICS, report
from cartera.simulation.runner import SimConfig, SimResult, simulate


@cache
def _run(policy: str, seed: int = 11) -> SimResult:
    return simulate(SimConfig(days=45, customers=50, seed=seed, policy=policy, window_days=7))


def test_a_run_is_reproducible() -> None:
    again = simulate(SimConfig(days=45, customers=50, seed=11, policy="fixed", window_days=7))
    assert [(m.customer_id, m.day, m.arm) for m in again.messages] == [
        (m.customer_id, m.day, m.arm) for m in _run("fixed").messages
    ]


def test_both_strategies_meet_the_same_customers_and_invoices() -> None:
    fixed, learned = _run("fixed"), _run("learned")
    assert [c.traits for c in fixed.world.customers] == [c.traits for c in learned.world.customers]
    assert [(i.invoice_id, i.due, i.natural_pay_day) for i in fixed.world.invoices] == [
        (i.invoice_id, i.due, i.natural_pay_day) for i in learned.world.invoices
    ]


def test_no_customer_gets_two_messages_on_one_day() -> None:
    for policy in ("fixed", "learned"):
        per_day = Counter((m.customer_id, m.day) for m in _run(policy).messages)
        assert max(per_day.values()) == 1


def test_nothing_goes_to_a_channel_after_the_customer_opted_out_of_it() -> None:
    for policy in ("fixed", "learned"):
        opted: dict[str, set[str]] = {}
        for m in sorted(_run(policy).messages, key=lambda m: m.at):
            assert not ({m.arm.channel, "all"} & opted.get(m.customer_id, set()))
            if m.opt_out:
                opted.setdefault(m.customer_id, set()).add(m.opt_out)


def test_the_fixed_policy_sends_on_the_playbook_hour_and_the_learned_one_learns() -> None:
    fixed, learned = _run("fixed"), _run("learned")
    assert {m.mode for m in fixed.messages} == {"playbook"}
    assert {m.group for m in learned.messages} <= {"control", "learner"}
    assert learned.learner_versions > 0
    assert learned.notes  # the preventive plan gave its reasons


def test_the_report_has_every_figure_and_both_groups_with_intervals() -> None:
    figures = report(_run("learned"))
    assert set(METRICS) <= set(figures)
    for group in ("control", "learner"):
        dso = figures["groups"][group]["dso"]
        assert dso["ci_low"] <= dso["value"] <= dso["ci_high"]
