"""Train the late-payment model on a time split, measure it, register it.

Recipe (see ml/labels.py for the label and the split):
1. Features for every labelled invoice as of its own issue date (point in time per invoice).
2. Fit XGBoost on the training side (rounds chosen by early stopping on its most recent 20 %,
   then refitted on all of it; see _fit), measure ROC-AUC on the test side, and the AUC of the
   baseline "customer's prior late rate" (cust_late_share, customers without history get the
   training positive rate) on the same test rows.
3. Refit the same recipe (same parameters, fixed seed) on everything labelled by as_of that is
   older than the horizon, so the stored model has seen the latest behaviour; the stored metrics
   are those of step 2 — the recipe's out-of-time performance.
4. Fit the expected-payment-date rule (ml/payment_date.py) and store all of it in ml.models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cartera.db import connect
from cartera.errors import DataNotReadyError
from cartera.logs import get_logger
from ml.backtest.metrics import auc_or_none, paired_auc_difference
from ml.backtest.models import fit_split_models, training_frame
from ml.calibration import expected_calibration_error
from ml.champion import ChampionScorer
from ml.drift import mark_served, reference_distribution
from ml.features import MODEL_FEATURES, features_at, load_allocations, load_invoice_history, normalise_history
from ml.labels import DEFAULT_HORIZON_DAYS, TimeSplit, refit_set, time_split
from ml.payment_date import PaymentDateRule, fit_payment_date_rule
from ml.payment_regressor import PaymentRegressor
from ml.registry import register_model

log = get_logger(__name__)

# Shallow, regularised trees; the number of rounds is chosen per fit by early stopping on a
# validation slice carved from the training rows by time (see _fit) — never on a test set.
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


@dataclass(frozen=True)
class ModelInfo:
    """What one training run registered (returned to the DAG, logged as counts and metrics)."""

    model_id: str
    as_of_date: dt.date
    cutoff_date: dt.date
    trained_at: dt.datetime
    auc_test: float | None
    auc_baseline_prior_late_rate: float | None
    n_train: int
    n_test: int
    positive_rate: float
    is_champion: bool


@dataclass(frozen=True)
class TrainedModel:
    """The pure result of training, before it is stored."""

    booster_json: bytes
    feature_names: list[str]
    params: dict[str, Any]
    metrics: dict[str, Any]
    cutoff: dt.date
    payment_rule: PaymentDateRule
    # The model chosen per book (ml/selection.py), fitted on the refit set; its regressor; the
    # reference distributions for drift (ml/drift.py). Empty when the book is too small.
    champion: ChampionScorer | None = None
    payment_regressor: PaymentRegressor | None = None
    reference: dict[str, Any] | None = None
    test_rows: pd.DataFrame | None = None  # the split's test features + late, to compare champions


def model_id_for(as_of: dt.date) -> str:
    """One model per business date: a rerun of the date replaces it."""
    return f"late_payment_{as_of:%Y%m%d}"


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


def _fit(frame: pd.DataFrame, issue_dates: pd.Series, feature_names: Sequence[str] = MODEL_FEATURES) -> FittedModel:
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
    fitted = _fit(train, split.train["issue_date"], feature_names)
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


def train_model(
    invoices: pd.DataFrame,
    as_of: dt.date,
    *,
    allocations: pd.DataFrame | None = None,
    cutoff: dt.date | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> TrainedModel:
    """Train and evaluate on in-memory frames (no database). Raises DataNotReadyError when the
    training side has fewer than MIN_TRAIN_ROWS rows or a single class."""
    history = normalise_history(invoices)
    history = history[history["issue_date"] <= pd.Timestamp(as_of)]
    split = time_split(history, as_of, cutoff=cutoff, horizon_days=horizon_days)
    refit = refit_set(history, as_of, horizon_days=horizon_days)
    check_trainable(split, as_of)

    # One feature pass for every invoice any side needs, each as of its own issue date.
    needed = pd.concat([split.train, split.test, refit])[["invoice_id", "issue_date"]].drop_duplicates("invoice_id")
    features = features_at(history, needed.rename(columns={"issue_date": "as_of"}), allocations).set_index("invoice_id")

    fitted = fit_on_split(split, features)
    test, positive_rate = fitted.test, fitted.positive_rate
    auc_test = auc_baseline = None
    if len(test):
        auc_test = auc_or_none(test["late"], pd.Series(fitted.p_test.to_numpy()))
        auc_baseline = auc_or_none(test["late"], test["cust_late_share"].fillna(positive_rate))

    # The refit set contains the training set (older than the cutoff's horizon, known by as_of).
    final = _fit(labelled_rows(features, refit), refit["issue_date"])
    settled = history.set_index("invoice_id").loc[refit["invoice_id"]]
    settled = settled[settled["settled_date"].notna() & (settled["settled_date"] <= pd.Timestamp(as_of))]
    rule = fit_payment_date_rule((settled["settled_date"] - settled["due_date"]).dt.days.astype("float64"))
    # The model chosen per book: measured on the split (fitted on its training side), then refitted
    # the same way on the refit set for the stored champion.
    settled_dates = history.set_index("invoice_id")["settled_date"]
    chosen_metrics: dict[str, Any] = {}
    test_rows = None
    if len(test):
        on_split = fit_split_models(split, features, MODEL_FEATURES, settled_dates)
        y = test["late"].astype("int64").to_numpy()
        calibrated = on_split.columns["p_champion"].to_numpy()
        chosen_metrics = {
            "champion": on_split.selection.champion,
            "reason": on_split.selection.reason,
            "validation": on_split.selection.validation,
            "auc_test_champion": auc_or_none(test["late"], pd.Series(calibrated)),
            "ece_test_uncalibrated": expected_calibration_error(y, on_split.columns["p_champion_raw"].to_numpy()),
            "ece_test_calibrated": expected_calibration_error(y, calibrated),
            "auc_difference_vs_prior_late_rate": paired_auc_difference(
                y, calibrated, test["cust_late_share"].fillna(positive_rate).to_numpy(), n_resamples=200
            ),
        }
        test_rows = training_frame(features, split.test, MODEL_FEATURES)
    stored = fit_split_models(
        TimeSplit(cutoff=as_of, horizon_days=horizon_days, train=refit, test=refit.iloc[:0]),
        features,
        MODEL_FEATURES,
        settled_dates,
    )
    refit_rows = training_frame(features, refit, MODEL_FEATURES)
    reference = reference_distribution(refit_rows, stored.selection.feature_names, refit_rows["late"])
    metrics = {
        "auc_test": auc_test,
        "auc_baseline_prior_late_rate": auc_baseline,
        "n_train": len(split.train),
        "n_test": len(test),
        "positive_rate": round(positive_rate, 4),
        "positive_rate_test": round(float(test["late"].mean()), 4) if len(test) else None,
        "n_refit": len(refit),
        "horizon_days": horizon_days,
        # How the rounds were chosen: on the split's training side (for the test figures above)
        # and on the refit set (for the stored model), each on its own most recent rows.
        "validation": fitted.validation,
        "validation_refit": final.validation,
        "selection": chosen_metrics,
        "selection_refit": {"champion": stored.selection.champion, "reason": stored.selection.reason},
        "training_window": {
            "first_issue_date": str(pd.Timestamp(refit["issue_date"].min()).date()) if len(refit) else None,
            "last_issue_date": str(pd.Timestamp(refit["issue_date"].max()).date()) if len(refit) else None,
            "labels_known_at": as_of.isoformat(),
            "test_window": {"cutoff": split.cutoff.isoformat(), "n": len(test)},
        },
    }
    return TrainedModel(
        booster_json=bytes(final.model.get_booster().save_raw("json")),
        feature_names=list(MODEL_FEATURES),
        # As used by the stored (refitted) model, with the rounds its validation slice chose.
        params={**fit_params(refit["late"].astype("int64")), "n_estimators": final.n_rounds},
        metrics=metrics,
        cutoff=split.cutoff,
        payment_rule=rule,
        champion=ChampionScorer.from_selection(stored.selection),
        payment_regressor=stored.regressor,
        reference=reference,
        test_rows=test_rows,
    )


def _challenge(conn: Any, trained: TrainedModel, model_id: str) -> dict[str, Any] | None:
    """The current champion and this model scored on this model's test window (same rows), or None
    when there is no other champion, no test row or one outcome only."""
    from ml.registry import load_champion

    current = load_champion(conn)
    rows = trained.test_rows
    if current is None or current.model_id == model_id or rows is None or rows["late"].nunique() < 2:
        return None
    champion_p = current.predict(rows)
    challenger_p = trained.champion.predict(rows) if trained.champion else None
    return {
        "champion_model_id": current.model_id,
        "n": len(rows),
        "auc_champion": auc_or_none(rows["late"], pd.Series(champion_p)),
        "auc_challenger": None if challenger_p is None else auc_or_none(rows["late"], pd.Series(challenger_p)),
    }


def train_and_register(
    dsn: str, as_of: dt.date, *, trained_at: dt.datetime | None = None, cutoff: dt.date | None = None
) -> ModelInfo:
    """Train on the marts as of ``as_of`` and store the model in ml.models (idempotent per as_of).

    ``trained_at`` is recorded as given; it defaults to the start of the business date in UTC
    (never the wall clock), so a rerun of a date writes the same row.
    """
    stamp = trained_at or dt.datetime.combine(as_of, dt.time(0), tzinfo=dt.UTC)
    with connect(dsn) as conn:
        invoices = load_invoice_history(conn, as_of)
        allocations = load_allocations(conn, as_of)
    trained = train_model(invoices, as_of, allocations=allocations, cutoff=cutoff)
    model_id = model_id_for(as_of)
    with connect(dsn) as conn:
        same_window = _challenge(conn, trained, model_id)
        if same_window is not None:
            trained.metrics["challenged_champion"] = same_window
        champion = register_model(
            conn,
            model_id=model_id,
            trained_at=stamp,
            as_of=as_of,
            cutoff=trained.cutoff,
            feature_names=trained.feature_names,
            params=trained.params,
            metrics=trained.metrics,
            booster_json=trained.booster_json,
            payment_rule=trained.payment_rule,
            champion=trained.champion,
            payment_regressor=trained.payment_regressor,
            reference=trained.reference,
            same_window=same_window,
        )
        mark_served(conn, as_of, model_id)
    m = trained.metrics
    log.info(
        "model %s: auc_test=%s baseline=%s n_train=%s n_test=%s champion=%s",
        model_id,
        m["auc_test"],
        m["auc_baseline_prior_late_rate"],
        m["n_train"],
        m["n_test"],
        champion,
    )
    return ModelInfo(
        model_id=model_id,
        as_of_date=as_of,
        cutoff_date=trained.cutoff,
        trained_at=stamp,
        auc_test=m["auc_test"],
        auc_baseline_prior_late_rate=m["auc_baseline_prior_late_rate"],
        n_train=m["n_train"],
        n_test=m["n_test"],
        positive_rate=m["positive_rate"],
        is_champion=champion,
    )
