"""The training run's model ids (ml/training.py; the run against a warehouse is tested in
tests/integration/ml/test_train_and_score.py)."""

from __future__ import annotations

from ml_frames import D

from ml.training import model_id_for


def test_model_ids_are_one_per_business_date() -> None:
    assert model_id_for(D) == "late_payment_20250630"
