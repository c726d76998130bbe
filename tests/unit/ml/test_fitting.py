"""The XGBoost fit's validation slice: the most recent rows of the training side (ml/fitting.py)."""

from __future__ import annotations

import pandas as pd

from ml.fitting import validation_slice


def test_the_validation_slice_is_the_most_recent_fifth_of_the_rows() -> None:
    dates = pd.Series(pd.to_datetime([f"2025-01-{d:02d}" for d in (9, 1, 10, 3, 7, 2, 8, 4, 6, 5)]))
    held_out = validation_slice(dates)
    assert sorted(dates[held_out].dt.day) == [9, 10]
