"""Backtest: how well would the late-payment model have predicted our own customers?

It evaluates the pipeline's own recipe — the same point-in-time features (ml/features.py), the
same labels and time split (ml/labels.py), the same XGBoost fit (``ml.fitting.fit_on_split``) and
the same payment-date rule (ml/payment_date.py) — on a canonical invoice frame from the warehouse
or from an imported file (ml/backtest/inputs.py), next to two baselines measured on the same rows:
the customer's prior late rate, and a logistic regression on the same features.

Splits (``kind``):
- ``time`` (default): cutoff C at the 75th percentile of issue dates (the last 25 % of invoices
  are the test period). Train: invoices issued before C − horizon, labelled with what was known
  at C. Test: invoices issued from C on, labelled with what is known at the end of the data.
- ``rolling``: one origin on the first of each month from that same cutoff on; each month's
  invoices are predicted by a model trained as above with the month's start as its cutoff; the
  figures pool every month's predictions.
- ``random``: invoices shuffled into train and test. It lets training see outcomes from after
  the test invoices were issued, so it is refused unless ``allow_random_split`` and then labelled.

Censoring: an invoice still open and not yet due when its outcome is read is not labelled (it
may still be paid on time); it is counted and reported, never dropped silently and never labelled
with the future. One open and past due is known to be late.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from cartera.errors import BadInputError
from cartera.logs import get_logger
from ml.backtest.inputs import BacktestInput, LeakageError
from ml.backtest.metrics import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    auc_or_none,
    classifier_metrics,
    date_error,
    paired_auc_difference,
)
from ml.backtest.models import fit_split_models
from ml.features import MODEL_FEATURES, features_at
from ml.fitting import check_trainable, fit_on_split
from ml.labels import DEFAULT_HORIZON_DAYS, TimeSplit, label_known_at, time_split
from ml.payment_date import expected_payment_dates, fit_payment_date_rule
from ml.payment_regressor import date_figures, interval_coverage

log = get_logger(__name__)

SplitKind = Literal["time", "rolling", "random"]
MODELS = ("xgboost", "prior_late_rate", "logistic_regression", "champion")
MODEL_LABELS = {
    "xgboost": "Late-payment model (XGBoost, the pipeline's)",
    "prior_late_rate": "Baseline: customer's prior late rate",
    "logistic_regression": "Baseline: logistic regression, same features",
    "champion": "Champion chosen on the validation window, calibrated there",
}


@dataclass(frozen=True)
class BacktestOptions:
    """How to split and measure; the defaults are the documented ones."""

    kind: SplitKind = "time"
    cutoff: dt.date | None = None  # default: the (1 - test_share) quantile of issue dates
    as_of: dt.date | None = None  # end of the data; default: its last issue or settlement date
    test_share: float = 0.25
    horizon_days: int = DEFAULT_HORIZON_DAYS
    threshold: float = 0.5
    n_bootstrap: int = DEFAULT_BOOTSTRAP
    seed: int = DEFAULT_SEED
    allow_random_split: bool = False


@dataclass
class BacktestResult:
    """Every figure (``figures``, JSON-ready) plus the frames the tests and the plot read."""

    figures: dict[str, Any]
    predictions: pd.DataFrame  # invoice_id, origin, late, p_xgboost, p_prior_late_rate, p_logistic_regression
    train_features: pd.DataFrame  # the first split's training rows (features + late), by invoice_id
    warnings: list[str] = field(default_factory=list)


class RandomSplitRefusedError(LeakageError):
    """A random split was asked for without ``allow_random_split``."""


def default_as_of(history: pd.DataFrame) -> dt.date:
    """The last date the data knows anything about: its latest issue or settlement date."""
    last = pd.concat([history["issue_date"], history["settled_date"]]).max()
    day: dt.date = pd.Timestamp(last).date()
    return day


def default_cutoff(history: pd.DataFrame, test_share: float = 0.25) -> dt.date:
    """The issue date below which (1 − test_share) of the invoices were issued."""
    day: dt.date = pd.Timestamp(history["issue_date"].quantile(1.0 - test_share)).normalize().date()
    return day


def backtest_features(data: BacktestInput, allocations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every invoice's feature row as of its own issue date (MODEL_FEATURES, the helper columns and
    the point-in-time post-issuance fields), indexed by invoice_id."""
    history = data.history
    targets = pd.DataFrame({"invoice_id": history["invoice_id"], "as_of": history["issue_date"]})
    features = features_at(history, targets, allocations).set_index("invoice_id")
    return features.join(data.extra_features)


def _month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    month = dt.date(first.year, first.month, 1)
    if month < first:
        month = dt.date(first.year + month.month // 12, month.month % 12 + 1, 1)
    starts = []
    while month <= last:
        starts.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return starts


def _splits(history: pd.DataFrame, as_of: dt.date, options: BacktestOptions) -> list[TimeSplit]:
    cutoff = options.cutoff or default_cutoff(history, options.test_share)
    if options.kind == "time":
        return [time_split(history, as_of, cutoff=cutoff, horizon_days=options.horizon_days)]
    if options.kind == "rolling":
        origins = _month_starts(cutoff, as_of)
        if not origins:
            raise BadInputError(f"no month starts between the cutoff {cutoff} and the end of the data {as_of}")
        splits = []
        for start, end in zip(origins, [*origins[1:], as_of + dt.timedelta(days=1)], strict=True):
            # Invoices issued before the next origin: the test side is this month's invoices.
            upto = history[history["issue_date"] < pd.Timestamp(end)]
            splits.append(time_split(upto, as_of, cutoff=start, horizon_days=options.horizon_days))
        return splits
    if not options.allow_random_split:
        raise RandomSplitRefusedError(
            "a random split trains on outcomes from after the test invoices were issued, so its figures are "
            "better than the model can do in use; use the time split, or pass --allow-random-split to see it anyway",
            field="split",
        )
    labels = label_known_at(history, as_of).dropna()
    rng = np.random.default_rng(options.seed)
    ids = labels.index.to_numpy()[rng.permutation(len(labels))]
    n_test = int(round(len(ids) * options.test_share))
    issue = history.set_index("invoice_id")["issue_date"]

    def _side(chosen: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(
            {"invoice_id": chosen, "issue_date": issue.loc[chosen].to_numpy(), "late": labels.loc[chosen].to_numpy()}
        )

    return [TimeSplit(cutoff=as_of, horizon_days=0, train=_side(ids[n_test:]), test=_side(ids[:n_test]))]


def _logistic_regression(train: pd.DataFrame, test: pd.DataFrame, names: list[str]) -> np.ndarray:
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # XGBoost reads missing values natively; the regression gets the training medians plus a
    # "was missing" indicator (a customer without history is information, not noise).
    model = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    )
    model.fit(train.loc[:, names].astype("float64"), train["late"].astype("int64"))
    return np.asarray(model.predict_proba(test.loc[:, names].astype("float64"))[:, 1])


def _censoring(history: pd.DataFrame, split: TimeSplit, as_of: dt.date, window_end: dt.date) -> dict[str, int]:
    """Counts of what each side left out and why."""
    issue = history.set_index("invoice_id")["issue_date"]
    cut = pd.Timestamp(split.cutoff)
    train_window = issue < cut - pd.Timedelta(days=split.horizon_days)
    test_window = (issue >= cut) & (issue < pd.Timestamp(window_end))
    at_cut, at_end = label_known_at(history, split.cutoff), label_known_at(history, as_of)
    settled_by_end = history.set_index("invoice_id")["settled_date"] <= pd.Timestamp(as_of)
    return {
        "train_censored": int((train_window & at_cut.isna()).sum()),
        "gap_not_used": int(((issue >= cut - pd.Timedelta(days=split.horizon_days)) & (issue < cut)).sum()),
        "test_window": int(test_window.sum()),
        "test_censored": int((test_window & at_end.isna()).sum()),
        "test_open_past_due_labelled_late": int((test_window & at_end.notna() & ~settled_by_end).sum()),
    }


def run_backtest(
    data: BacktestInput,
    options: BacktestOptions | None = None,
    *,
    allocations: pd.DataFrame | None = None,
    source: str = "canonical frame",
) -> BacktestResult:
    """Train and evaluate the model and both baselines on ``data`` (see the module docstring)."""
    options = options or BacktestOptions()
    started = time.perf_counter()
    history = data.history
    as_of = options.as_of or default_as_of(history)
    history = history[history["issue_date"] <= pd.Timestamp(as_of)]
    splits = _splits(history, as_of, options)  # refuses a random split before any work
    names = [*MODEL_FEATURES, *data.extra_feature_names]
    features = backtest_features(data, allocations).loc[history["invoice_id"]]

    parts, origins, counts = [], [], {"n_train": 0, "n_test": 0}
    censoring: dict[str, int] = {}
    issue_by_id = history.set_index("invoice_id")
    settled_dates = issue_by_id["settled_date"]
    train_features = pd.DataFrame()
    for number, split in enumerate(splits):
        check_trainable(split, as_of)
        last = options.kind != "rolling" or number + 1 == len(splits)
        window_end = as_of + dt.timedelta(days=1) if last else splits[number + 1].cutoff
        if options.kind != "random":
            for key, value in _censoring(history, split, as_of, window_end).items():
                censoring[key] = censoring.get(key, 0) + value
        if split.test.empty:
            # A month with no labelled test invoice (e.g. the last origin of a fully settled file):
            # nothing to measure, so no model is fitted for it; the origin says so.
            # roc_auc None like a month with one outcome only: the report's table of origins reads it.
            origins.append(
                {"cutoff": split.cutoff.isoformat(), "n_train": len(split.train), "n_test": 0, "roc_auc": None}
            )
            continue
        fitted = fit_on_split(split, features, names)
        test = fitted.test
        # The payment-date rule fitted on what the training side knew: its settled invoices.
        train_rows = issue_by_id.loc[split.train["invoice_id"]]
        known = train_rows["settled_date"].notna() & (train_rows["settled_date"] <= pd.Timestamp(split.cutoff))
        rule = fit_payment_date_rule(
            (train_rows.loc[known, "settled_date"] - train_rows.loc[known, "due_date"]).dt.days.astype("float64")
        )
        models_of_split = fit_split_models(split, features, names, settled_dates)
        rows = features.loc[test.index]
        part = pd.DataFrame(
            {
                "invoice_id": test.index.to_numpy(),
                "origin": split.cutoff.isoformat(),
                "late": test["late"].to_numpy(),
                "p_xgboost": fitted.p_test.to_numpy(),
                "p_prior_late_rate": test["cust_late_share"].fillna(fitted.positive_rate).to_numpy(),
                "p_logistic_regression": _logistic_regression(fitted.train, test, names),
                "due_date": rows["due_date"].to_numpy(),
                "settled_date": issue_by_id.loc[test.index, "settled_date"].to_numpy(),
                "predicted_payment_date": pd.to_datetime(expected_payment_dates(rows, rule)),
                "fallback_days_late": rule.fallback_days_late,
            }
        )
        part = pd.concat([part, models_of_split.columns.reset_index(drop=True)], axis=1)
        parts.append(part)
        counts["n_train"] += len(split.train)
        counts["n_test"] += len(test)
        origins.append(
            {
                "cutoff": split.cutoff.isoformat(),
                "n_train": len(split.train),
                "n_test": len(test),
                "positive_rate_train": round(fitted.positive_rate, 4),
                "roc_auc": auc_or_none(test["late"].to_numpy(), fitted.p_test.to_numpy()),
                "roc_auc_champion": auc_or_none(test["late"].to_numpy(), part["p_champion"].to_numpy()),
                **models_of_split.origin,
            }
        )
        if train_features.empty:
            train_features = fitted.train
    if not parts:
        raise BadInputError(
            "no test invoice has a known outcome after the cutoff: choose an earlier --cutoff or a later --as-of",
            field="cutoff",
        )
    predictions = pd.concat(parts, ignore_index=True)
    settled = predictions["settled_date"].notna() & (predictions["settled_date"] <= pd.Timestamp(as_of))
    predictions["settled_date"] = predictions["settled_date"].where(settled)

    y = predictions["late"].to_numpy()
    models = {
        name: classifier_metrics(
            y,
            predictions[f"p_{name}"].to_numpy(),
            threshold=options.threshold,
            n_resamples=options.n_bootstrap,
            seed=options.seed,
        )
        for name in MODELS
    }
    fallback = predictions["due_date"] + pd.to_timedelta(predictions["fallback_days_late"].round(), unit="D")
    payment_date = {
        "model_rule": date_error(predictions["predicted_payment_date"], predictions["settled_date"]),
        "baseline_due_date": date_error(predictions["due_date"], predictions["settled_date"]),
        "baseline_overall_median_lateness": date_error(fallback, predictions["settled_date"]),
    }
    actual = predictions["settled_date"]
    payment_dates = {
        "regressor": date_figures(predictions["regressor_payment_date"], actual),
        "rule_due_plus_customer_median": date_figures(predictions["predicted_payment_date"], actual),
        "baseline_due_date": date_figures(predictions["due_date"], actual),
        "baseline_customer_mean": date_figures(predictions["customer_mean_payment_date"], actual),
        "interval": interval_coverage(predictions["payment_date_lower"], predictions["payment_date_upper"], actual),
    }
    paired = {
        f"{name}_minus_prior_late_rate": paired_auc_difference(
            y,
            predictions[f"p_{name}"].to_numpy(),
            predictions["p_prior_late_rate"].to_numpy(),
            n_resamples=options.n_bootstrap,
            seed=options.seed,
        )
        for name in ("champion", "xgboost", "logistic_regression")
    }
    candidates = {
        kind: classifier_metrics(
            y, predictions[f"p_candidate_{kind}"].to_numpy(), threshold=options.threshold, n_resamples=0
        )
        for kind in ("prior_late_rate", "logistic_regression", "xgboost")
    }
    champion_raw = classifier_metrics(
        y, predictions["p_champion_raw"].to_numpy(), threshold=options.threshold, n_resamples=0
    )
    first = history["issue_date"].min().date()
    figures: dict[str, Any] = {
        "source": source,
        "split": {
            "kind": options.kind,
            "honest": options.kind != "random",
            "cutoff": splits[0].cutoff.isoformat(),
            "as_of": as_of.isoformat(),
            "period": {
                "first_issue_date": first.isoformat(),
                "last_issue_date": str(history["issue_date"].max().date()),
            },
            "test_share": options.test_share,
            "horizon_days": splits[0].horizon_days,
            "origins": origins,
        },
        "counts": {"n_invoices": len(history), **counts, **censoring},
        "threshold": options.threshold,
        "bootstrap": {"n_resamples": options.n_bootstrap, "seed": options.seed, "interval": "95% percentile"},
        "features": {
            "model_features": list(MODEL_FEATURES),
            "extra_features": list(data.extra_feature_names),
            "post_issuance": [
                {"name": f.name, "use": f.use, "known_date_column": f.known_date_column, "features": list(f.features)}
                for f in data.post_issuance
            ],
        },
        "models": models,
        "payment_date": payment_date,
        "payment_dates": payment_dates,
        "selection": {
            "champions": predictions.drop_duplicates("origin")["champion"].tolist(),
            "auc_difference_vs_prior_late_rate": paired,
            "candidates_test": candidates,
            "champion_uncalibrated_test": champion_raw,
        },
        "warnings": list(data.warnings),
        "runtime_seconds": round(time.perf_counter() - started, 1),
    }
    if options.kind == "random":
        figures["warnings"].append(
            "RANDOM SPLIT (asked for): training saw outcomes from after the test invoices were issued; "
            "these figures overstate what the model does in use."
        )
    log.info(
        "backtest %s: n_train=%s n_test=%s auc=%s", options.kind, counts["n_train"], counts["n_test"], _auc_of(models)
    )
    return BacktestResult(
        figures=figures, predictions=predictions, train_features=train_features, warnings=list(figures["warnings"])
    )


def _auc_of(models: dict[str, Any]) -> Any:
    return models["xgboost"]["roc_auc"]["value"]
