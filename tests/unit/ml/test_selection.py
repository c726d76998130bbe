"""The model chosen per book: the rule when the models cannot beat it, a model when it can."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.features import MODEL_FEATURES
from ml.history import LATE_SHARE_HALF_LIVES, decayed_share_name
from ml.selection import LinearScorer, pick_champion, select_model


def _book(signal_in_amount: bool, n: int = 3000, seed: int = 4) -> tuple[pd.DataFrame, pd.Series]:
    """Feature rows where lateness depends only on the customer's own late propensity (which
    cust_late_share estimates) — or also on the amount, which the rule cannot see."""
    rng = np.random.default_rng(seed)
    customers = rng.integers(0, 150, n)
    propensity = rng.uniform(0.02, 0.9, 150)[customers]
    amount = rng.lognormal(10, 1, n)
    logit = np.log(propensity / (1 - propensity))
    if signal_in_amount:
        logit = logit + 2.5 * (np.log(amount) - 10)
    late = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("float64")
    # The customer's observed late share over 25 earlier invoices: the rule's whole signal.
    share = rng.binomial(25, propensity) / 25
    frame = pd.DataFrame({name: rng.normal(size=n) for name in MODEL_FEATURES})
    frame["cust_late_share"] = share
    for half_life in LATE_SHARE_HALF_LIVES:
        frame[decayed_share_name(half_life)] = share
    frame["amount_mxn"] = amount
    frame["log_amount_mxn"] = np.log1p(amount)
    frame["late"] = late
    issued = pd.Series(pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(n) // 10, unit="D"))
    return frame, issued


def test_the_rule_is_chosen_when_the_prior_late_rate_is_all_the_signal() -> None:
    frame, issued = _book(signal_in_amount=False)
    selection = select_model(frame, issued, list(MODEL_FEATURES))
    assert selection.champion == "prior_late_rate", selection.validation["candidates"]
    assert "simpler" in selection.reason or "prior_late_rate ranks" in selection.reason


def test_a_model_is_chosen_when_it_sees_signal_the_rule_cannot() -> None:
    frame, issued = _book(signal_in_amount=True)
    selection = select_model(frame, issued, list(MODEL_FEATURES))
    aucs = {k: v["auc"] for k, v in selection.validation["candidates"].items()}
    assert selection.champion in ("logistic_regression", "xgboost")
    assert aucs[selection.champion] > aucs["prior_late_rate"] + 0.05


def test_ties_within_the_tolerance_go_to_the_simpler_candidate() -> None:
    assert pick_champion({"prior_late_rate": 0.800, "logistic_regression": 0.803, "xgboost": 0.804})[0] == (
        "prior_late_rate"
    )
    assert pick_champion({"prior_late_rate": 0.780, "logistic_regression": 0.803, "xgboost": 0.806})[0] == (
        "logistic_regression"
    )
    assert pick_champion({"prior_late_rate": 0.780, "logistic_regression": 0.790, "xgboost": 0.806})[0] == "xgboost"


def test_the_logistic_regression_scores_from_its_stored_numbers_alone() -> None:
    frame, _ = _book(signal_in_amount=True, n=600)
    frame.loc[::7, "cust_mean_days_late"] = np.nan  # missing values get an indicator
    scorer = LinearScorer.fit(frame, frame["late"], list(MODEL_FEATURES))
    again = LinearScorer(**scorer.to_json())
    assert np.allclose(again.predict(frame), scorer.predict(frame))
    assert "cust_mean_days_late" in scorer.indicator_columns and "amount_mxn" in scorer.log_columns
