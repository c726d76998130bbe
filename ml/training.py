"""The weekly training run against the warehouse: load the marts as of a business date, train
and measure with the recipe (ml/recipe.py), score the current champion and this model on the
same held-out rows, and register the model in ml.models (ml/registry.py decides the champion),
marking it as the model the day's drift check serves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cartera.db import connect
from cartera.logs import get_logger
from ml.backtest.metrics import auc_or_none
from ml.drift import mark_served
from ml.features import load_allocations, load_invoice_history
from ml.recipe import TrainedModel, train_model
from ml.registry import register_model

log = get_logger(__name__)


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


def model_id_for(as_of: dt.date) -> str:
    """One model per business date: a rerun of the date replaces it."""
    return f"late_payment_{as_of:%Y%m%d}"


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
