"""Training on in-memory frames: metrics, determinism, and refusing too little history."""

from __future__ import annotations

import datetime as dt

import pytest
import xgboost as xgb
from ml_frames import D, behaviour_history, frame, invoice

from cartera.errors import DataNotReadyError
from ml.features import MODEL_FEATURES
from ml.training import TrainedModel, model_id_for, train_model

START = dt.date(2024, 7, 1)  # a year of history: enough for the split, quick to fit


@pytest.fixture(scope="module")
def trained() -> TrainedModel:
    return train_model(behaviour_history(customers=12, start=START), D)


def test_a_clear_signal_gives_a_useful_model_with_its_baseline_and_counts(trained: TrainedModel) -> None:
    metrics = trained.metrics
    assert set(metrics) >= {"auc_test", "auc_baseline_prior_late_rate", "n_train", "n_test", "positive_rate"}
    assert metrics["auc_test"] > 0.75 and metrics["auc_baseline_prior_late_rate"] > 0.75
    assert 0.2 < metrics["positive_rate"] < 0.8
    assert trained.feature_names == list(MODEL_FEATURES)
    booster = xgb.Booster()
    booster.load_model(bytearray(trained.booster_json))
    assert booster.feature_names == list(MODEL_FEATURES)


def test_training_twice_on_the_same_data_gives_the_same_model(trained: TrainedModel) -> None:
    again = train_model(behaviour_history(customers=12, start=START), D)
    assert again.booster_json == trained.booster_json and again.metrics == trained.metrics


def test_too_little_labelled_history_is_refused_with_the_counts() -> None:
    rows = frame(
        [invoice(f"I{k}", "A", dt.date(2024, 1, 1) + dt.timedelta(days=7 * k), settled_after_due=0) for k in range(10)]
    )
    with pytest.raises(DataNotReadyError, match="found 10 with 1 outcome"):
        train_model(rows, D)


def test_model_ids_are_one_per_business_date() -> None:
    assert model_id_for(D) == "late_payment_20250630"
