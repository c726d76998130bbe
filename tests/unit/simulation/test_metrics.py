from __future__ import annotations

import numpy as np

from cartera.simulation.metrics import countback_dso


def test_countback_counts_whole_days_of_sales_then_the_fraction_of_the_last() -> None:
    # 250 open against sales of 100 on the last day, 100 the day before, 200 the day before that.
    assert countback_dso(250.0, np.array([100.0, 100.0, 200.0])) == 2.25


def test_countback_with_nothing_open_is_zero() -> None:
    assert countback_dso(0.0, np.array([100.0, 50.0])) == 0.0
