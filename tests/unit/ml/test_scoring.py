"""The customer risk score from the scores of its open items."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.scoring import risk_scores


def test_risk_score_is_the_amount_weighted_mean_of_open_items() -> None:
    scores = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B", "B"],
            "p_late": [0.9, 0.1, 0.4, 0.6],
            "open_amount_mxn": [3000.0, 1000.0, 0.0, 0.0],
        }
    )
    risk = risk_scores(scores)
    assert risk["A"] == pytest.approx(0.7)
    assert risk["B"] == pytest.approx(0.5)  # nothing left to weigh: the plain mean
