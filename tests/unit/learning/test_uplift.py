"""The live uplift's figures and intervals, on per-customer facts built by hand."""

from __future__ import annotations

import numpy as np
import pytest

from cartera.learning.uplift import LOOKBACK_DAYS, MIN_CUSTOMERS, Facts, countback, group_figures, table, uplift
from cartera.simulation.metrics import countback_dso


def facts(arms: list[str], *, paid_share: dict[str, float], messages: dict[str, int], seed: int = 0) -> Facts:
    """Customers each owed 1,000 falling due, paid `paid_share[arm]` of it within 30 days (with
    noise), sent `messages[arm]` messages; sales of 100 a day, receivable = the unpaid part."""
    rng = np.random.default_rng(seed)
    n = len(arms)
    share = np.clip(np.array([paid_share[a] for a in arms]) + rng.normal(0, 0.05, n), 0, 1)
    sales = np.zeros((n, LOOKBACK_DAYS))
    sales[:, :60] = 100.0
    return Facts(
        ids=[f"K{i:03d}" for i in range(n)],
        arm=np.array(arms, dtype=object),
        strategy=np.array(["learned" if a != "control" else "fixed" for a in arms], dtype=object),
        segment=np.array(["chronic" if i % 2 else "new" for i in range(n)], dtype=object),
        messages=np.array([float(messages[a]) for a in arms]),
        opt_outs=np.zeros(n),
        complaints=np.zeros(n),
        due30=np.full(n, 1000.0),
        paid30=1000.0 * share,
        due_n=np.full(n, 2.0),
        on_time_n=np.round(2 * share),
        ar=1000.0 * (1 - share),
        sales=sales,
    )


def test_countback_matches_the_simulators_definition() -> None:
    rng = np.random.default_rng(3)
    sales = rng.gamma(0.5, 1000, size=(40, LOOKBACK_DAYS)) * (rng.random((40, LOOKBACK_DAYS)) < 0.3)
    ar = rng.uniform(0, 60_000, 40)
    ar[0] = 0.0
    ar[1] = sales[1].sum() * 2  # more than every sale: the whole lookback
    expected = [countback_dso(float(a), s) for a, s in zip(ar, sales, strict=True)]
    assert countback(ar, sales) == pytest.approx(expected)


def test_a_group_figure_is_a_ratio_of_sums_with_an_interval_around_it() -> None:
    f = facts(["champion"] * 200, paid_share={"champion": 0.8}, messages={"champion": 3})
    shown = group_figures(f, np.arange(200), resamples=300)
    cash = shown["cash_collected_30d"]
    assert cash["value"] == pytest.approx(f.paid30.sum() / f.due30.sum())
    assert cash["ci_low"] is not None and cash["ci_high"] is not None
    assert cash["ci_low"] < cash["value"] < cash["ci_high"] and cash["ci_high"] - cash["ci_low"] < 0.03
    assert shown["messages_per_customer"]["value"] == 3 and shown["customers"]["value"] == 200
    # The unpaid fifth of 1,000 per customer against 100 a day of sales: about two days.
    assert shown["dso"]["value"] == pytest.approx((f.ar.sum() / 200) / 100, rel=0.01)


def test_too_few_customers_get_no_interval() -> None:
    f = facts(["control"] * (MIN_CUSTOMERS - 1), paid_share={"control": 0.5}, messages={"control": 1})
    shown = group_figures(f, np.arange(MIN_CUSTOMERS - 1))
    assert shown["dso"]["value"] is not None and shown["dso"]["ci_low"] is None


def test_a_real_difference_has_an_interval_clear_of_zero_and_none_has_one_across_it() -> None:
    arms = ["champion"] * 150 + ["challenger"] * 150
    better = facts(arms, paid_share={"champion": 0.6, "challenger": 0.8}, messages={"champion": 4, "challenger": 3})
    found = uplift(better, better.rows(arm="challenger"), better.rows(arm="champion"), resamples=300)
    cash, dso = found["cash_collected_30d"], found["dso"]
    assert cash["rel"] == pytest.approx(0.8 / 0.6 - 1, abs=0.03)
    assert cash["rel_low"] is not None and cash["rel_low"] > 0.2
    assert dso["rel_high"] is not None and dso["rel_high"] < -0.3
    assert found["messages_per_customer"]["diff"] == pytest.approx(-1.0)

    same = facts(arms, paid_share={"champion": 0.7, "challenger": 0.7}, messages={"champion": 3, "challenger": 3})
    none = uplift(same, same.rows(arm="challenger"), same.rows(arm="champion"), resamples=300)
    assert none["cash_collected_30d"]["rel_low"] < 0 < none["cash_collected_30d"]["rel_high"]


def test_the_table_has_every_arm_per_segment_and_the_uplift_over_control() -> None:
    arms = ["control"] * 40 + ["champion"] * 160
    f = facts(arms, paid_share={"control": 0.6, "champion": 0.8}, messages={"control": 4, "champion": 3})
    rows = table(f, resamples=100)
    assert [(r["segment"], r["arm"]) for r in rows] == [
        ("all", "control"), ("all", "champion"), ("chronic", "control"), ("chronic", "champion"),
        ("new", "control"), ("new", "champion"),
    ]  # fmt: skip
    assert "uplift_vs_control" not in rows[0]
    assert rows[1]["uplift_vs_control"]["cash_collected_30d"]["rel_low"] > 0
    assert rows[1]["strategy"] == "learned" and rows[0]["strategy"] == "fixed"
