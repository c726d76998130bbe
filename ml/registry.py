"""``ml.models``: store a trained model, pick the champion, load it back.

Champion rule (``promotion``, setting ``CARTERA_MODEL_PROMOTION``):

- The first model ever trained is champion by itself: there is nothing to compare it with, and
  scoring must work on day one. So is a rerun of the champion's own business date (retraining a
  date first removes that date's model; same data, same recipe, it replaces itself).
- ``approval`` (the default): every later model is registered as a **challenger** (``review =
  'pending'``), never scored, until a named person promotes or rejects it (ml/promotion.py,
  ``cartera model``). Its evidence — both models scored on the same held-out rows, the paired AUC
  difference with its 95 % interval, calibration error of both — is computed at training
  (ml/training.py) and stored in ``metrics.challenged_champion``.
- ``auto`` (for demos): the older rule — the new model takes over when its AUC on the same rows
  is at least the champion's (without that comparison, its own test AUC against the champion's).

The training run's automatic promotions are audited in ``ml.model_decisions`` (action ``auto``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from psycopg.types.json import Jsonb

from ml.champion import ChampionScorer
from ml.payment_date import PaymentDateRule
from ml.payment_regressor import PaymentRegressor

if TYPE_CHECKING:
    import psycopg
    import xgboost as xgb


@dataclass(frozen=True)
class StoredModel:
    """A model row as scoring needs it."""

    model_id: str
    as_of_date: dt.date
    feature_names: list[str]
    booster: xgb.Booster
    payment_rule: PaymentDateRule
    champion: ChampionScorer | None = None
    payment_regressor: PaymentRegressor | None = None
    reference: dict[str, Any] | None = None

    def predict(self, frame: Any) -> Any:
        """Probability of "late" per feature row: the chosen champion (calibrated) when stored,
        else the pipeline's booster."""
        import numpy as np
        import xgboost as xgb

        if self.champion is not None:
            return self.champion.predict(frame)
        matrix = xgb.DMatrix(frame.loc[:, self.feature_names].astype("float64"), feature_names=self.feature_names)
        return np.asarray(self.booster.predict(matrix), dtype="float64")


def register_model(
    conn: psycopg.Connection,
    *,
    model_id: str,
    trained_at: dt.datetime,
    as_of: dt.date,
    cutoff: dt.date,
    feature_names: list[str],
    params: dict[str, Any],
    metrics: dict[str, Any],
    booster_json: bytes,
    payment_rule: PaymentDateRule,
    champion: ChampionScorer | None = None,
    payment_regressor: PaymentRegressor | None = None,
    reference: dict[str, Any] | None = None,
    same_window: dict[str, Any] | None = None,
    promotion: Literal["approval", "auto"] = "approval",
) -> bool:
    """Replace the model of ``as_of`` with this one; returns whether it is now the champion (else
    it is a pending challenger under ``approval``, or simply not promoted under ``auto``).

    Runs in the caller's transaction (``cartera.db.connect`` commits on success).
    """
    # Two trainings at once must not both see "no champion" and both promote themselves.
    conn.execute("lock table ml.models in share row exclusive mode")
    rerun_of_champion = conn.execute(
        "select 1 from ml.models where is_champion and (as_of_date = %s or model_id = %s)", (as_of, model_id)
    ).fetchone()
    conn.execute("delete from ml.models where as_of_date = %s or model_id = %s", (as_of, model_id))
    row = conn.execute("select model_id, (metrics->>'auc_test')::float8 from ml.models where is_champion").fetchone()
    auc = metrics.get("auc_test")
    review: str | None = None
    if row is None:
        promote = True
        reason = (
            "a rerun of the champion's own date replaces it"
            if rerun_of_champion
            else "the first model: no champion to compare it with"
        )
    elif promotion == "approval":
        promote, review, reason = False, "pending", ""
    elif same_window and same_window.get("auc_challenger") is not None and same_window.get("auc_champion") is not None:
        promote = same_window["auc_challenger"] >= same_window["auc_champion"]
        reason = "CARTERA_MODEL_PROMOTION=auto: its AUC on the same rows is at least the champion's"
    else:
        champion_auc = row[1]
        promote = auc is not None and (champion_auc is None or auc >= champion_auc)
        reason = "CARTERA_MODEL_PROMOTION=auto: its test AUC is at least the champion's on its own window"
    if promote:
        conn.execute("update ml.models set is_champion = false where is_champion")
        conn.execute(
            "insert into ml.model_decisions (decided_at, action, model_id, champion_before, evidence, reason) "
            "values (%s, 'auto', %s, %s, %s, %s)",
            (trained_at, model_id, row[0] if row else None, Jsonb(same_window or {}), reason),
        )
    conn.execute(
        """insert into ml.models (model_id, trained_at, as_of_date, cutoff_date, feature_names, params, metrics,
                                  booster, payment_date_rule, is_champion, champion_kind, selection,
                                  champion_booster, payment_regressor, payment_booster, reference, review)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (
            model_id,
            trained_at,
            as_of,
            cutoff,
            Jsonb(feature_names),
            Jsonb(params),
            Jsonb(metrics),
            booster_json,
            Jsonb(payment_rule.to_json()),
            promote,
            None if champion is None else champion.kind,
            Jsonb({} if champion is None else champion.to_json()),
            None if champion is None else champion.booster_json,
            None if payment_regressor is None else Jsonb(payment_regressor.to_json()),
            None if payment_regressor is None else payment_regressor.booster_json,
            Jsonb(reference or {}),
            review,
        ),
    )
    return promote


def load_champion(conn: psycopg.Connection) -> StoredModel | None:
    """The champion model, or None when no model was promoted yet."""
    import xgboost as xgb

    row = conn.execute(
        """select model_id, as_of_date, feature_names, booster, payment_date_rule, selection, champion_booster,
                  payment_regressor, payment_booster, reference
           from ml.models where is_champion"""
    ).fetchone()
    if row is None:
        return None
    model_id, as_of_date, feature_names, raw, rule, selection, champion_raw, regressor, regressor_raw, reference = row
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    return StoredModel(
        model_id=model_id,
        as_of_date=as_of_date,
        feature_names=list(feature_names),
        booster=booster,
        payment_rule=PaymentDateRule.from_json(rule),
        champion=ChampionScorer.from_json(selection, champion_raw and bytes(champion_raw)) if selection else None,
        payment_regressor=(
            PaymentRegressor.from_json(regressor, bytes(regressor_raw)) if regressor and regressor_raw else None
        ),
        reference=reference or None,
    )
