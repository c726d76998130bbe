"""The weekly training run against the warehouse: load the marts as of a business date, train
and measure with the recipe (ml/recipe.py), score the current champion and this model on the
same held-out rows (the evidence a promotion rests on, ml/promotion.py), and register the model
in ml.models (ml/registry.py: champion if it is the first, else a challenger), marking it as the
model the day's drift check serves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from cartera.db import connect
from cartera.logs import get_logger
from ml.backtest.metrics import DEFAULT_BOOTSTRAP, auc_or_none, paired_auc_difference
from ml.calibration import expected_calibration_error
from ml.drift import mark_served
from ml.features import load_allocations, load_invoice_history
from ml.labels import DEFAULT_HORIZON_DAYS
from ml.recipe import TrainedModel, train_model
from ml.registry import register_model

log = get_logger(__name__)
# Paired bootstrap resamples behind the AUC difference's 95 % interval that a promotion rests on
# (the backtest's default: sklearn's AUC twice per resample is most of the comparison's time).
EVIDENCE_RESAMPLES = DEFAULT_BOOTSTRAP


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


def _last_fitted_issue(conn: Any, model_id: str) -> pd.Timestamp | None:
    """The last issue date a stored model was fitted on (its training window; for a model stored
    without one, the day before its business date less the horizon)."""
    row = conn.execute(
        "select metrics->'training_window'->>'last_issue_date', as_of_date, (metrics->>'horizon_days')::int "
        "from ml.models where model_id = %s",
        (model_id,),
    ).fetchone()
    if row is None:
        return None
    last, as_of, horizon = row
    if last:
        return pd.Timestamp(last)
    return pd.Timestamp(as_of - dt.timedelta(days=(horizon or DEFAULT_HORIZON_DAYS) + 1))


def _challenge(conn: Any, trained: TrainedModel, model_id: str, as_of: dt.date) -> dict[str, Any] | None:
    """The evidence for promoting this model over the current champion, both scored as scoring
    would score them on the same held-out rows: this model's test window, less every row either
    model was fitted on (issued on or before the later of their training windows' last issue
    dates). AUC of both, the paired AUC difference (this model minus the champion) with its 95 %
    bootstrap interval, and the calibration error (ECE) of both. None when there is no other
    champion or no test row; the figures are None when the held-out rows have one outcome only."""
    import xgboost as xgb

    from ml.registry import StoredModel, load_champion

    current = load_champion(conn)
    rows = trained.test_rows
    if current is None or current.model_id == model_id or rows is None or rows.empty:
        return None
    own_last = trained.metrics.get("training_window", {}).get("last_issue_date")
    seen = [d for d in (_last_fitted_issue(conn, current.model_id), own_last and pd.Timestamp(own_last)) if d]
    boundary = max(seen) if seen else None
    held_out = rows if boundary is None else rows[rows["issue_date"] > boundary]
    booster = xgb.Booster()
    booster.load_model(bytearray(trained.booster_json))
    challenger = StoredModel(
        model_id, as_of, trained.feature_names, booster, trained.payment_rule, champion=trained.champion
    )
    y = held_out["late"].astype("int64").to_numpy()
    champion_p = current.predict(held_out) if len(held_out) else np.zeros(0)
    challenger_p = challenger.predict(held_out) if len(held_out) else np.zeros(0)
    return {
        "champion_model_id": current.model_id,
        "window": {
            "issued_after": None if boundary is None else str(boundary.date()),
            "issued_to": as_of.isoformat(),
            "n_test_window": len(rows),
        },
        "n": len(held_out),
        "n_late": int(y.sum()),
        "auc_champion": auc_or_none(held_out["late"], pd.Series(champion_p)),
        "auc_challenger": auc_or_none(held_out["late"], pd.Series(challenger_p)),
        "auc_difference": paired_auc_difference(y, challenger_p, champion_p, n_resamples=EVIDENCE_RESAMPLES),
        "resamples": EVIDENCE_RESAMPLES,
        "ece_champion": expected_calibration_error(y, champion_p),
        "ece_challenger": expected_calibration_error(y, challenger_p),
    }


def train_and_register(
    dsn: str,
    as_of: dt.date,
    *,
    trained_at: dt.datetime | None = None,
    cutoff: dt.date | None = None,
    promotion: Literal["approval", "auto"] | None = None,
) -> ModelInfo:
    """Train on the marts as of ``as_of`` and store the model in ml.models (idempotent per as_of):
    the champion when it is the first, else a challenger awaiting a person's decision (or, with
    ``promotion="auto"``, the champion when it does as well on the same rows; ml/registry.py).
    ``promotion`` defaults to the setting ``CARTERA_MODEL_PROMOTION``.

    ``trained_at`` is recorded as given; it defaults to the start of the business date in UTC
    (never the wall clock), so a rerun of a date writes the same row.
    """
    if promotion is None:
        from cartera.config import get_settings

        promotion = get_settings().model_promotion
    stamp = trained_at or dt.datetime.combine(as_of, dt.time(0), tzinfo=dt.UTC)
    with connect(dsn) as conn:
        invoices = load_invoice_history(conn, as_of)
        allocations = load_allocations(conn, as_of)
    trained = train_model(invoices, as_of, allocations=allocations, cutoff=cutoff)
    model_id = model_id_for(as_of)
    with connect(dsn) as conn:
        same_window = _challenge(conn, trained, model_id, as_of)
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
            promotion=promotion,
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
