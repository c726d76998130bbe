"""The live uplift: per arm group (control, champion, challenger) and per segment, how customers
were collected, each figure with a 95 % confidence interval, and the uplift of one group over
another with its interval.

Facts come per customer from ``ops.strategy_customer_facts`` and ``ops.strategy_customer_sales``
(cartera/sql/62_strategy_uplift.sql). Every figure is a ratio of sums over a group's customers:

- ``customers``; ``messages`` sent and ``messages_per_customer``;
- ``cash_collected_30d``: of the amount (MXN) falling due from the experiment's start to 30 days
  before the last day, the share paid within 30 days of its due date;
- ``paid_on_time_rate``: of the invoices falling due in the period, the share settled by due;
- ``dso``: countback DSO on the last day over the group's own credit sales — its open receivable
  matched against its sales counting back day by day (fractional on the last day): the
  simulator's definition (:mod:`cartera.simulation.metrics`), not the marts' monthly countback;
- ``opt_outs`` and ``complaints`` (spam reports), counts and per 100 customers.

Why a bootstrap over customers, not a normal approximation: the customer is what is randomized
(its invoices and messages are not independent draws), the figures are ratios of skewed sums
(amounts are lognormal) and the countback DSO has no closed-form variance; resampling whole
customers handles all three the same way, and matches how the simulator's results are stated.
The uplift's interval resamples each group independently (they are independent random samples)
and takes the percentile interval of the difference. Below ``MIN_CUSTOMERS`` a group's interval
is not shown: a percentile bootstrap of a handful of customers is too narrow to trust.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg

LOOKBACK_DAYS = 400  # days of sales a countback may walk back through
MIN_CUSTOMERS = 20
RESAMPLES = 1000
CHUNK = 50  # resamples drawn at once: a chunk's weights are CHUNK × customers
ARMS = ("control", "champion", "challenger")
FIGURES = (
    "customers",
    "messages",
    "messages_per_customer",
    "cash_collected_30d",
    "paid_on_time_rate",
    "dso",
    "opt_outs",
    "complaints",
    "opt_outs_per_100",
    "complaints_per_100",
)
# For an uplift: which way is better (+1 higher, -1 lower); counts are compared per customer.
BETTER = {
    "messages_per_customer": -1,
    "cash_collected_30d": 1,
    "paid_on_time_rate": 1,
    "dso": -1,
    "opt_outs_per_100": -1,
    "complaints_per_100": -1,
}


_ARRAYS = (
    "arm", "strategy", "segment", "messages", "opt_outs", "complaints", "due30", "paid30", "due_n", "on_time_n", "ar",
    "sales",
)  # fmt: skip


@dataclass
class Facts:
    """Per-customer sums of one experiment (row i is customer ids[i])."""

    ids: list[str]
    arm: np.ndarray
    strategy: np.ndarray
    segment: np.ndarray
    messages: np.ndarray
    opt_outs: np.ndarray
    complaints: np.ndarray
    due30: np.ndarray
    paid30: np.ndarray
    due_n: np.ndarray
    on_time_n: np.ndarray
    ar: np.ndarray
    sales: np.ndarray  # (customers, LOOKBACK_DAYS): credit sales per day, the last day first

    def take(self, rows: np.ndarray) -> Facts:
        """The facts of customers `rows` only."""
        return Facts(
            [self.ids[i] for i in rows],
            *(getattr(self, name)[rows] for name in _ARRAYS),
        )

    def rows(self, *, arm: str | None = None, segment: str | None = None) -> np.ndarray:
        keep = np.ones(len(self.ids), dtype=bool)
        if arm is not None:
            keep &= self.arm == arm
        if segment is not None:
            keep &= self.segment == segment
        return np.flatnonzero(keep)


def load_facts(conn: psycopg.Connection[Any], experiment: str, date_from: dt.date, date_to: dt.date) -> Facts:
    """The per-customer facts of `experiment` from `date_from` to `date_to` (business dates)."""
    rows = conn.execute(
        "select * from ops.strategy_customer_facts(%s, %s, %s)", (experiment, date_from, date_to)
    ).fetchall()
    ids = [str(r[0]) for r in rows]
    index = {c: i for i, c in enumerate(ids)}
    sales = np.zeros((len(ids), LOOKBACK_DAYS))
    for customer, back, amount in conn.execute(
        "select * from ops.strategy_customer_sales(%s, %s, %s)", (experiment, date_to, LOOKBACK_DAYS)
    ).fetchall():
        if customer in index and 0 <= back < LOOKBACK_DAYS:
            sales[index[customer], back] += float(amount)

    def column(i: int) -> np.ndarray:
        return np.array([float(r[i]) for r in rows], dtype=np.float64)

    return Facts(
        ids=ids,
        arm=np.array([r[1] for r in rows], dtype=object),
        strategy=np.array([r[2] for r in rows], dtype=object),
        segment=np.array([r[3] or "unknown" for r in rows], dtype=object),
        messages=column(4),
        opt_outs=column(5),
        complaints=column(6),
        due30=column(7),
        paid30=column(8),
        due_n=column(9),
        on_time_n=column(10),
        ar=column(11),
        sales=sales,
    )


def countback(ar: np.ndarray, sales: np.ndarray) -> np.ndarray:
    """Countback DSO of each receivable ar[b] against its sales[b, :] counting back from the last
    day: the whole days the receivable covers plus the share of the next one. When the sales run
    out first, the days there are."""
    cumulative = np.cumsum(sales, axis=1)
    days = (cumulative < ar[:, None]).sum(axis=1)
    full = np.minimum(days, sales.shape[1] - 1)
    before = np.where(days > 0, cumulative[np.arange(len(ar)), np.maximum(days - 1, 0)], 0.0)
    today = sales[np.arange(len(ar)), full]
    part = np.where((days < sales.shape[1]) & (today > 0), (ar - before) / np.where(today > 0, today, 1.0), 0.0)
    return np.asarray(days + np.clip(part, 0.0, 1.0), dtype=np.float64)


def _figures(facts: Facts, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Every figure for each row of `weights` (resamples × customers: how often each customer counts)."""
    customers = weights.sum(axis=1)

    def total(values: np.ndarray) -> np.ndarray:
        return np.asarray(weights @ values)

    def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        return np.asarray(np.divide(num, den, out=np.full_like(num, np.nan), where=den > 0))

    messages, opt_outs, complaints = total(facts.messages), total(facts.opt_outs), total(facts.complaints)
    return {
        "customers": customers,
        "messages": messages,
        "messages_per_customer": ratio(messages, customers),
        "cash_collected_30d": ratio(total(facts.paid30), total(facts.due30)),
        "paid_on_time_rate": ratio(total(facts.on_time_n), total(facts.due_n)),
        "dso": countback(total(facts.ar), np.asarray(weights @ facts.sales)),
        "opt_outs": opt_outs,
        "complaints": complaints,
        "opt_outs_per_100": ratio(100 * opt_outs, customers),
        "complaints_per_100": ratio(100 * complaints, customers),
    }


def _draws(facts: Facts, resamples: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every figure in each of `resamples` bootstrap resamples of the customers of `facts` (each
    resample draws as many customers as there are, with replacement), a chunk at a time."""
    n = len(facts.ids)
    chunks: list[dict[str, np.ndarray]] = []
    for start in range(0, resamples, CHUNK):
        size = min(CHUNK, resamples - start)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(np.float64)
        chunks.append(_figures(facts, weights))
    return {name: np.concatenate([c[name] for c in chunks]) for name in FIGURES}


def _point_figures(facts: Facts) -> dict[str, float]:
    return {name: float(values[0]) for name, values in _figures(facts, np.ones((1, len(facts.ids)))).items()}


def _interval(values: np.ndarray) -> tuple[float | None, float | None]:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return None, None
    return float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5))


def _point(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def group_figures(
    facts: Facts, rows: np.ndarray, *, resamples: int = RESAMPLES, seed: int = 0
) -> dict[str, dict[str, float | None]]:
    """Each figure over the customers `rows`, with a 95 % percentile-bootstrap interval (None
    below :data:`MIN_CUSTOMERS` customers)."""
    group = facts.take(rows)
    point = _point_figures(group)
    draws = _draws(group, resamples, np.random.default_rng(seed)) if len(rows) >= MIN_CUSTOMERS else None
    out: dict[str, dict[str, float | None]] = {}
    for name in FIGURES:
        low, high = _interval(draws[name]) if draws is not None else (None, None)
        out[name] = {"value": _point(point[name]), "ci_low": low, "ci_high": high}
    return out


def uplift(
    facts: Facts, treated: np.ndarray, base: np.ndarray, *, resamples: int = RESAMPLES, seed: int = 0
) -> dict[str, dict[str, float | None]]:
    """The uplift of customers `treated` over customers `base` on each figure of :data:`BETTER`:
    the difference (treated − base) and the relative change (treated / base − 1), each with a 95 %
    percentile interval from resampling the two groups independently; None below
    :data:`MIN_CUSTOMERS` customers in either."""
    group_t, group_b = facts.take(treated), facts.take(base)
    point_t, point_b = _point_figures(group_t), _point_figures(group_b)
    enough = len(treated) >= MIN_CUSTOMERS and len(base) >= MIN_CUSTOMERS
    if enough:
        rng = np.random.default_rng(seed)
        draws_t, draws_b = _draws(group_t, resamples, rng), _draws(group_b, resamples, rng)
    out: dict[str, dict[str, float | None]] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for name in BETTER:
            t, b = point_t[name], point_b[name]
            row: dict[str, float | None] = {
                "treated": _point(t),
                "base": _point(b),
                "diff": _point(t - b),
                "rel": _point(t / b - 1) if b else None,
                "diff_low": None,
                "diff_high": None,
                "rel_low": None,
                "rel_high": None,
            }
            if enough:
                row["diff_low"], row["diff_high"] = _interval(draws_t[name] - draws_b[name])
                row["rel_low"], row["rel_high"] = _interval(draws_t[name] / draws_b[name] - 1)
            out[name] = row
    return out


@dataclass(frozen=True)
class Experiment:
    """Which experiment to read, over which business dates."""

    name: str
    date_from: dt.date
    date_to: dt.date


def experiment_span(conn: psycopg.Connection[Any], experiment: str, as_of: dt.date) -> Experiment | None:
    """`experiment` from its first assignment to `as_of`; None when nobody was assigned yet."""
    row = conn.execute(
        "select min(assigned_on) from ops.strategy_assignments where experiment = %s", (experiment,)
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return Experiment(experiment, row[0], as_of)


def table(
    facts: Facts, *, segments: Sequence[str] | None = None, resamples: int = RESAMPLES, seed: int = 0
) -> list[dict[str, Any]]:
    """One row per (arm, segment) — 'all' first — with every figure and its interval, and the
    uplift over the control group of each non-control arm's figures of :data:`BETTER`."""
    found = sorted({str(s) for s in facts.segment}) if segments is None else list(segments)
    out: list[dict[str, Any]] = []
    for segment in [None, *found]:
        control = facts.rows(arm="control", segment=segment)
        for arm in ARMS:
            rows = facts.rows(arm=arm, segment=segment)
            if not len(rows):
                continue
            strategies = sorted({str(s) for s in facts.strategy[rows]})
            entry: dict[str, Any] = {
                "arm": arm,
                "strategy": "/".join(strategies),
                "segment": segment or "all",
                "figures": group_figures(facts, rows, resamples=resamples, seed=seed),
            }
            if arm != "control" and len(control):
                entry["uplift_vs_control"] = uplift(facts, rows, control, resamples=resamples, seed=seed)
            out.append(entry)
    return out
