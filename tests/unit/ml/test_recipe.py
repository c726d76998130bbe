"""The training recipe on in-memory frames: metrics, determinism, the rounds chosen on the
training side's latest rows, and refusing too little history."""

from __future__ import annotations

import datetime as dt

import pytest
import xgboost as xgb
from ml_frames import D, behaviour_history, frame, invoice

from cartera.errors import DataNotReadyError
from ml import fitting
from ml.features import MODEL_FEATURES
from ml.fitting import FALLBACK_ROUNDS, PARAMS, VALIDATION_SHARE
from ml.recipe import TrainedModel, train_model

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


def test_the_rounds_are_chosen_on_the_training_sides_own_latest_invoices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fitting, "MIN_VALIDATION_ROWS", 20)
    trained = train_model(behaviour_history(customers=12, start=START), D)
    split_validation, refit_validation = trained.metrics["validation"], trained.metrics["validation_refit"]
    # Chosen inside the training side: nothing issued within the horizon before the cutoff, nor after it.
    last_train_issue = trained.cutoff - dt.timedelta(days=trained.metrics["horizon_days"])
    assert dt.date.fromisoformat(split_validation["last_issue_date"]) < last_train_issue
    assert split_validation["n"] == round(trained.metrics["n_train"] * VALIDATION_SHARE)
    assert 1 <= split_validation["n_rounds"] <= PARAMS["n_estimators"]
    # The stored model is the refit with the rounds its own validation slice chose, and says so.
    booster = xgb.Booster()
    booster.load_model(bytearray(trained.booster_json))
    assert booster.num_boosted_rounds() == refit_validation["n_rounds"] == trained.params["n_estimators"]


def test_too_little_history_to_validate_on_uses_the_fallback_rounds(trained: TrainedModel) -> None:
    assert trained.metrics["validation"] is None  # under MIN_VALIDATION_ROWS held-out rows
    assert trained.params["n_estimators"] == FALLBACK_ROUNDS
