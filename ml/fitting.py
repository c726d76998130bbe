"""The late-payment model's XGBoost recipe: its parameters, the number of rounds chosen by early
stopping on the most recent training rows (then refitted on all of them), and the fit on a time
split's training side scored on its test side — shared by the training run (ml/training.py), the
per-book model selection (ml/selection.py) and the backtest (ml/backtest/run.py), so all of them
measure the same recipe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cartera.errors import DataNotReadyError
from ml.features import MODEL_FEATURES
from ml.labels import TimeSplit

# Shallow, regularised trees; the number of rounds is chosen per fit by early stopping on a
# validation slice carved from the training rows by time (see fit_recipe) — never on a test set.
# Chosen on the default generated book (cartera generate, seed 7), on its training side only
# (invoices issued before the backtest cutoff − 90 days): depth 2–4 × min_child_weight 10/50/100 ×
# reg_lambda 1/10 × monotone constraints on/off, each validated on the last 20 % and on the 60–80 %
# slice of the training invoices by issue date. Depth 2 / min_child_weight 50 had the best mean
# validation logloss (0.3640, AUC 0.818 / 0.814) against 0.3679 (AUC 0.802 / 0.803) for the earlier
# fixed 200 rounds of depth 3 / min_child_weight 10; the grid was flat within ~0.001 logloss around it.
PARAMS: dict[str, Any] = {
    "n_estimators": 1000,  # an upper bound: early stopping picks the rounds (typically 80–200)
    "max_depth": 2,
    "learning_rate": 0.05,
    "min_child_weight": 50,  # replaced per fit by fit_params (scaled to the training set)
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "tree_method": "hist",
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "random_state": 20240601,
    "n_jobs": 2,
}
# The validation slice: the most recent 20 % of the training rows by issue date (labels as the
# training side knows them). Early stopping watches its logloss; then the model is refitted on all
# the training rows with the rounds found. Below MIN_VALIDATION_ROWS (or with one class in either
# part) there is nothing to validate on and FALLBACK_ROUNDS rounds are used.
VALIDATION_SHARE = 0.2
EARLY_STOPPING_ROUNDS = 100
MIN_VALIDATION_ROWS = 200
FALLBACK_ROUNDS = 150
MIN_TRAIN_ROWS = 50


# min_child_weight as a share of the training set's total hessian (n·p·(1−p) for log-loss), so a
# leaf needs the same share of the evidence whatever the size of the book: 50 on the 7,975-row
# validation fit above (3 %), about 3 on a book of 500 invoices.
LEAF_HESSIAN_SHARE = 0.03


def fit_params(labels: pd.Series) -> dict[str, Any]:
    """PARAMS with min_child_weight scaled to the training set (at least 1)."""
    rate = float(labels.mean()) if len(labels) else 0.5
    weight = LEAF_HESSIAN_SHARE * len(labels) * rate * (1 - rate)
    return {**PARAMS, "min_child_weight": round(max(1.0, weight), 2)}


@dataclass(frozen=True)
class FittedModel:
    """A fitted classifier and how its number of rounds was chosen (``validation``: the slice's
    size, dates, late share, best logloss and AUC; None when the fallback rounds were used)."""

    model: Any
    n_rounds: int
    validation: dict[str, Any] | None


def validation_slice(issue_dates: pd.Series, share: float = VALIDATION_SHARE) -> pd.Series:
    """True for the most recent ``share`` of rows by issue date (ties broken by position, stable)."""
    order = np.argsort(issue_dates.to_numpy(), kind="stable")
    n_val = int(round(len(order) * share))
    mask = np.zeros(len(order), dtype=bool)
    if n_val:
        mask[order[len(order) - n_val :]] = True
    return pd.Series(mask, index=issue_dates.index)


def _classifier(labels: pd.Series, n_rounds: int | None = None, **extra: Any) -> Any:
    """An XGBClassifier with fit_params(labels), ``n_rounds`` trees (PARAMS' bound when None)."""
    import xgboost as xgb

    params = {**fit_params(labels), **extra}
    if n_rounds is not None:
        params["n_estimators"] = n_rounds
    return xgb.XGBClassifier(**params)


def fit_recipe(
    frame: pd.DataFrame, issue_dates: pd.Series, feature_names: Sequence[str] = MODEL_FEATURES
) -> FittedModel:
    """Fit on ``frame`` (features + late), choosing the rounds on its most recent rows.

    ``issue_dates``: each row's issue date, aligned with ``frame``. The rows issued last
    (VALIDATION_SHARE) are held out, a model is grown on the rest until the held-out logloss has
    not improved for EARLY_STOPPING_ROUNDS rounds, and the model returned is refitted on every row
    with the best number of rounds — so it has seen the most recent behaviour too.
    """
    names = list(feature_names)
    x, y = frame.loc[:, names], frame["late"].astype("int64")
    held_out = validation_slice(pd.Series(pd.to_datetime(issue_dates).to_numpy(), index=frame.index)).to_numpy()
    fit_y, val_y = y[~held_out], y[held_out]
    if held_out.sum() < MIN_VALIDATION_ROWS or fit_y.nunique() < 2 or val_y.nunique() < 2:
        return FittedModel(model=_classifier(y, FALLBACK_ROUNDS).fit(x, y), n_rounds=FALLBACK_ROUNDS, validation=None)

    from sklearn.metrics import roc_auc_score

    probe = _classifier(fit_y, early_stopping_rounds=EARLY_STOPPING_ROUNDS)
    probe.fit(x[~held_out], fit_y, eval_set=[(x[held_out], val_y)], verbose=False)
    n_rounds = int(probe.best_iteration) + 1
    dates = pd.to_datetime(pd.Series(issue_dates).to_numpy()[held_out])
    validation = {
        "n": int(held_out.sum()),
        "first_issue_date": str(dates.min().date()),
        "last_issue_date": str(dates.max().date()),
        "late_share": round(float(val_y.mean()), 4),
        "logloss": round(float(probe.best_score), 4),
        "auc": round(
            float(roc_auc_score(val_y, probe.predict_proba(x[held_out], iteration_range=(0, n_rounds))[:, 1])), 4
        ),
        "n_rounds": n_rounds,
    }
    return FittedModel(model=_classifier(y, n_rounds).fit(x, y), n_rounds=n_rounds, validation=validation)


@dataclass(frozen=True)
class SplitFit:
    """The model fitted on a split's training side and its scores on the test side.

    ``train`` and ``test`` hold the features and ``late``, indexed by invoice_id; ``p_test``
    is the model's probability of "late" for each test row, in the same order.
    """

    model: Any
    train: pd.DataFrame
    test: pd.DataFrame
    p_test: pd.Series
    positive_rate: float
    n_rounds: int
    validation: dict[str, Any] | None


def labelled_rows(
    features: pd.DataFrame, side: pd.DataFrame, feature_names: Sequence[str] = MODEL_FEATURES
) -> pd.DataFrame:
    """The features of ``side``'s invoices (features indexed by invoice_id) with its ``late`` label."""
    return features.loc[side["invoice_id"], list(feature_names)].assign(late=side["late"].to_numpy())


def check_trainable(split: TimeSplit, as_of: dt.date) -> None:
    """Raise DataNotReadyError when the training side has fewer than MIN_TRAIN_ROWS rows or one class."""
    n_train, n_classes = len(split.train), split.train["late"].nunique()
    if n_train < MIN_TRAIN_ROWS or n_classes < 2:
        raise DataNotReadyError(
            as_of.isoformat(),
            [
                f"the late-payment model needs {MIN_TRAIN_ROWS}+ labelled invoices of both outcomes issued before "
                f"{split.cutoff - dt.timedelta(days=split.horizon_days)}; found {n_train} with {n_classes} outcome(s)"
            ],
        )


def fit_on_split(split: TimeSplit, features: pd.DataFrame, feature_names: Sequence[str] = MODEL_FEATURES) -> SplitFit:
    """Fit the model on the training side and score the test side: the pipeline's own evaluation,
    shared with the backtest (ml/backtest/run.py) so both measure the same recipe.

    ``features``: feature rows indexed by invoice_id, each invoice as of its own issue date (from
    :func:`ml.features.features_at`), covering both sides. ``feature_names``: the pipeline's
    MODEL_FEATURES unless a backtest adds dated post-issuance fields.
    """
    train = labelled_rows(features, split.train, feature_names)
    test = labelled_rows(features, split.test, feature_names)
    fitted = fit_recipe(train, split.train["issue_date"], feature_names)
    model = fitted.model
    p_test = pd.Series(dtype="float64", index=test.index)
    if len(test):
        p_test = pd.Series(model.predict_proba(test.loc[:, list(feature_names)])[:, 1], index=test.index)
    return SplitFit(
        model=model,
        train=train,
        test=test,
        p_test=p_test,
        positive_rate=float(train["late"].mean()),
        n_rounds=fitted.n_rounds,
        validation=fitted.validation,
    )
