"""Reasons for a block of scores are the row-by-row reasons, exactly."""

from __future__ import annotations

import numpy as np

from ml.explanations import top_reasons, top_reasons_many
from ml.features import MODEL_FEATURES


def _block(seed: int, rows: int = 400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    names = list(MODEL_FEATURES)
    values = rng.uniform(0, 200, size=(rows, len(names))).round(rng.integers(0, 3))
    values[:, names.index("cust_late_share")] = rng.uniform(0, 1, rows)
    values[:, names.index("is_usd")] = rng.integers(0, 2, rows)
    values[:, names.index("issue_month")] = rng.integers(1, 13, rows)
    # Missing history (several templates then tell the same sentence) and ties between contributions.
    values[rng.random(rows) < 0.2, names.index("cust_mean_days_late")] = np.nan
    values[rng.random(rows) < 0.2, names.index("cust_max_days_late")] = np.nan
    contributions = rng.normal(0, 0.5, size=(rows, len(names))).astype("float32")
    contributions[rng.random(contributions.shape) < 0.1] = 0.25
    contributions[rng.random(contributions.shape) < 0.05] = 0.0
    p_late = rng.uniform(0, 1, rows).astype("float32")
    p_late[:5] = 0.5  # the threshold itself counts as high
    return p_late, contributions, values


def test_a_block_of_rows_gets_the_reasons_each_row_gets_alone() -> None:
    names = list(MODEL_FEATURES)
    for seed in (1, 2, 3):
        p_late, contributions, values = _block(seed)
        many = top_reasons_many(p_late.astype("float64"), contributions, names, values)
        one_by_one = [
            top_reasons(float(p), contributions[i], names, dict(zip(names, values[i].tolist(), strict=True)))
            for i, p in enumerate(p_late)
        ]
        assert many == one_by_one
        assert any(len(r) == 3 for r in many) and any(r and r[0]["contribution"] < 0 for r in many)


def test_fewer_reasons_when_asked() -> None:
    p_late, contributions, values = _block(4, rows=20)
    many = top_reasons_many(p_late.astype("float64"), contributions, list(MODEL_FEATURES), values, top_n=1)
    assert all(len(r) <= 1 for r in many) and any(len(r) == 1 for r in many)
