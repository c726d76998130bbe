"""The figures of a simulated run, per customer so they can be bootstrapped.

- ``dso``: countback DSO on the last day: the open receivable is matched against sales going
  back day by day from the last day; the days it takes (fractional on the last) are the DSO.
- ``cash_collected_30d``: of the amount falling due in the run (due dates up to 30 days before
  the last day), the share collected within 30 days of its due date.
- ``paid_on_time_rate``: of the invoices falling due in the run, the share paid on or before due.
- ``messages``, ``messages_per_customer``, ``opt_outs`` (opt-out events), ``complaints``,
  ``collector_tasks``.
Confidence intervals: percentile bootstrap over customers (the unit that is randomized).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cartera.simulation.runner import SimResult

LOOKBACK_DAYS = 400
METRICS = (
    "dso",
    "cash_collected_30d",
    "paid_on_time_rate",
    "messages",
    "messages_per_customer",
    "opt_outs",
    "complaints",
    "collector_tasks",
)


@dataclass
class PerCustomer:
    """Per-customer sums (rows in `ids` order) from which every metric is a ratio of sums."""

    ids: list[str]
    ar: np.ndarray  # open at the end
    sales: np.ndarray  # (customers, LOOKBACK_DAYS): invoiced per day, last day first
    due30: np.ndarray
    paid30: np.ndarray
    due_n: np.ndarray
    on_time_n: np.ndarray
    messages: np.ndarray
    opt_outs: np.ndarray
    complaints: np.ndarray
    tasks: np.ndarray


def per_customer(result: SimResult, customer_ids: Sequence[str] | None = None) -> PerCustomer:
    world = result.world
    ids = list(customer_ids) if customer_ids is not None else [c.customer_id for c in world.customers]
    row = {c: i for i, c in enumerate(ids)}
    n = len(ids)
    start, end = world.start, world.end
    sums = {k: np.zeros(n) for k in ("ar", "due30", "paid30", "due_n", "on_time_n", "messages", "opt", "cmp", "task")}
    sales = np.zeros((n, LOOKBACK_DAYS))
    for inv in world.invoices:
        i = row.get(inv.customer_id)
        if i is None or inv.issue > end:
            continue
        back = (end - inv.issue).days
        if back < LOOKBACK_DAYS:
            sales[i, back] += inv.amount_mxn
        if inv.paid_on is None or inv.paid_on > end:
            sums["ar"][i] += inv.amount_mxn
        if start <= inv.due <= end - dt.timedelta(days=30):
            sums["due30"][i] += inv.amount_mxn
            if inv.paid_on is not None and inv.paid_on <= inv.due + dt.timedelta(days=30):
                sums["paid30"][i] += inv.amount_mxn
        if start <= inv.due <= end:
            sums["due_n"][i] += 1
            sums["on_time_n"][i] += inv.paid_on is not None and inv.paid_on <= inv.due
    for m in result.messages:
        i = row.get(m.customer_id)
        if i is not None:
            sums["messages"][i] += 1
            sums["opt"][i] += m.opt_out is not None
            sums["cmp"][i] += m.complained
    for customer, _ in result.tasks:
        i = row.get(customer)
        if i is not None:
            sums["task"][i] += 1
    return PerCustomer(
        ids,
        sums["ar"],
        sales,
        sums["due30"],
        sums["paid30"],
        sums["due_n"],
        sums["on_time_n"],
        sums["messages"],
        sums["opt"],
        sums["cmp"],
        sums["task"],
    )


def countback_dso(ar: float, sales_back: np.ndarray) -> float:
    """Days of sales, counting back from the last day, that the receivable `ar` equals."""
    remaining, days = ar, 0.0
    for sold in sales_back:
        if remaining <= sold:
            return days + (remaining / sold if sold > 0 else 0.0)
        remaining -= sold
        days += 1
    return days


def figures(pc: PerCustomer, rows: np.ndarray | None = None) -> dict[str, float]:
    """Every metric over the customers `rows` (all by default; repeated rows count twice)."""
    idx = np.arange(len(pc.ids)) if rows is None else rows
    customers = max(len(idx), 1)
    due30, due_n = float(pc.due30[idx].sum()), float(pc.due_n[idx].sum())
    messages = float(pc.messages[idx].sum())
    return {
        "dso": countback_dso(float(pc.ar[idx].sum()), pc.sales[idx].sum(axis=0)),
        "cash_collected_30d": float(pc.paid30[idx].sum()) / due30 if due30 else 0.0,
        "paid_on_time_rate": float(pc.on_time_n[idx].sum()) / due_n if due_n else 0.0,
        "messages": messages,
        "messages_per_customer": messages / customers,
        "opt_outs": float(pc.opt_outs[idx].sum()),
        "complaints": float(pc.complaints[idx].sum()),
        "collector_tasks": float(pc.tasks[idx].sum()),
    }


def bootstrap(pc: PerCustomer, *, resamples: int = 400, seed: int = 0) -> dict[str, dict[str, float]]:
    """Each metric with a 95 % percentile-bootstrap interval over customers."""
    point = figures(pc)
    rng = np.random.default_rng(seed)
    n = len(pc.ids)
    draws = [figures(pc, rng.integers(0, n, n)) for _ in range(resamples)] if n else []
    out: dict[str, dict[str, float]] = {}
    for name in METRICS:
        values = np.array([d[name] for d in draws]) if draws else np.array([point[name]])
        out[name] = {
            "value": round(point[name], 4),
            "ci_low": round(float(np.percentile(values, 2.5)), 4),
            "ci_high": round(float(np.percentile(values, 97.5)), 4),
        }
    return out


def paired_change(
    base: PerCustomer, new: PerCustomer, *, resamples: int = 400, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Relative change new/base − 1 of each metric on the same customers (same resamples for
    both runs), with a 95 % bootstrap interval. The rows of `base` and `new` must match."""
    if base.ids != new.ids:
        raise ValueError("a paired change needs the same customers in the same order")
    rng = np.random.default_rng(seed)
    n = len(base.ids)

    def change(rows: np.ndarray | None) -> dict[str, float]:
        b, a = figures(base, rows), figures(new, rows)
        return {k: (a[k] / b[k] - 1.0) if b[k] else float("nan") for k in METRICS}

    point = change(None)
    draws = [change(rng.integers(0, n, n)) for _ in range(resamples)]
    out: dict[str, dict[str, float]] = {}
    for name in METRICS:
        values = np.array([d[name] for d in draws])
        values = values[~np.isnan(values)]
        out[name] = {
            "change": round(point[name], 4),
            "ci_low": round(float(np.percentile(values, 2.5)), 4) if len(values) else float("nan"),
            "ci_high": round(float(np.percentile(values, 97.5)), 4) if len(values) else float("nan"),
        }
    return out


def report(result: SimResult) -> dict[str, Any]:
    """The JSON of a run: the headline metrics over every customer, each group with its CIs,
    the learner's versions and preferred arms per segment, and the preventive reasons."""
    everyone = per_customer(result)
    headline = figures(everyone)
    groups: dict[str, Any] = {}
    for group in sorted(set(result.groups.values())):
        ids = [c for c, g in result.groups.items() if g == group]
        groups[group] = {"customers": len(ids), **bootstrap(per_customer(result, ids))}
    return {
        "policy": result.config.policy,
        "seed": result.config.seed,
        "days": result.config.days,
        "customers": len(everyone.ids),
        **{k: round(v, 4) for k, v in headline.items()},
        "groups": groups,
        "learner": {
            "versions": result.learner_versions,
            "preferred_arms_by_segment": result.preferred,
        },
        "preventive_reasons": dict(sorted(result.notes.items())),
        "arms_used": _arms_used(result),
    }


def _arms_used(result: SimResult) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in result.messages:
        counts[m.arm.key] = counts.get(m.arm.key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))
