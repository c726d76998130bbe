"""The training recipe: train the late-payment model on in-memory frames and measure it (no
database; the weekly run that loads the warehouse and registers the result is ml/training.py).

Recipe (see ml/labels.py for the label and the split, ml/fitting.py for the XGBoost fit):
1. Features for every labelled invoice as of its own issue date (point in time per invoice).
2. Fit XGBoost on the training side (rounds chosen by early stopping on its most recent 20 %,
   then refitted on all of it; see ml.fitting.fit_recipe), measure ROC-AUC on the test side, and
   the AUC of the baseline "customer's prior late rate" (cust_late_share, customers without
   history get the training positive rate) on the same test rows.
3. Refit the same recipe (same parameters, fixed seed) on everything labelled by as_of that is
   older than the horizon, so the stored model has seen the latest behaviour; the stored metrics
   are those of step 2 — the recipe's out-of-time performance.
4. Fit the expected-payment-date rule (ml/payment_date.py), choose the model per book
   (ml/selection.py) and keep the drift reference (ml/drift.py), ready to store in ml.models.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ml.backtest.metrics import auc_or_none, paired_auc_difference
from ml.backtest.models import fit_split_models, training_frame
from ml.calibration import expected_calibration_error
from ml.champion import ChampionScorer
from ml.drift import reference_distribution
from ml.features import MODEL_FEATURES, features_at, normalise_history
from ml.fitting import check_trainable, fit_on_split, fit_params, fit_recipe, labelled_rows
from ml.labels import DEFAULT_HORIZON_DAYS, TimeSplit, refit_set, time_split
from ml.payment_date import PaymentDateRule, fit_payment_date_rule
from ml.payment_regressor import PaymentRegressor


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
    test_rows: pd.DataFrame | None = None  # the split's test features, late and issue_date, to compare champions


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
    test, positive_rate, split_validation = fitted.test, fitted.positive_rate, fitted.validation
    auc_test = auc_baseline = None
    if len(test):
        auc_test = auc_or_none(test["late"], pd.Series(fitted.p_test.to_numpy()))
        auc_baseline = auc_or_none(test["late"], test["cust_late_share"].fillna(positive_rate))
    del fitted  # its training rows (a copy of most of the features) and model are not read again

    # The refit set contains the training set (older than the cutoff's horizon, known by as_of).
    final = fit_recipe(labelled_rows(features, refit), refit["issue_date"])
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
        # With the issue dates: the comparison with the champion keeps the rows neither model was fitted on.
        test_rows = training_frame(features, split.test, MODEL_FEATURES).assign(
            issue_date=split.test["issue_date"].to_numpy()
        )
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
        "validation": split_validation,
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
