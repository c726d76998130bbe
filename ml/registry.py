"""``ml.models``: store a trained model, pick the champion, load it back.

Champion rule (simple on purpose): a new model becomes champion when there is no champion, or
when its test AUC is at least the champion's test AUC (each measured on its own time-split
test set). Retraining for the same business date first removes that date's model, so a rerun
replaces it — and if it was the champion, the rerun competes with the remaining models only.
A model whose test AUC could not be computed (one class in its test set) is promoted only when
there is no champion at all. The comparison is across different test windows, so it is a
guard against a clearly worse model, not a significance test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from ml.payment_date import PaymentDateRule

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
) -> bool:
    """Replace the model of ``as_of`` with this one; returns whether it is now the champion.

    Runs in the caller's transaction (``cartera.db.connect`` commits on success).
    """
    # Two trainings at once must not both see "no champion" and both promote themselves.
    conn.execute("lock table ml.models in share row exclusive mode")
    conn.execute("delete from ml.models where as_of_date = %s or model_id = %s", (as_of, model_id))
    row = conn.execute("select (metrics->>'auc_test')::float8 from ml.models where is_champion").fetchone()
    auc = metrics.get("auc_test")
    if row is None:
        promote = True
    else:
        champion_auc = row[0]
        promote = auc is not None and (champion_auc is None or auc >= champion_auc)
    if promote:
        conn.execute("update ml.models set is_champion = false where is_champion")
    conn.execute(
        """insert into ml.models (model_id, trained_at, as_of_date, cutoff_date, feature_names, params, metrics,
                                  booster, payment_date_rule, is_champion)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
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
        ),
    )
    return promote


def load_champion(conn: psycopg.Connection) -> StoredModel | None:
    """The champion model, or None when no model was promoted yet."""
    import xgboost as xgb

    row = conn.execute(
        "select model_id, as_of_date, feature_names, booster, payment_date_rule from ml.models where is_champion"
    ).fetchone()
    if row is None:
        return None
    model_id, as_of_date, feature_names, raw, rule = row
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    return StoredModel(
        model_id=model_id,
        as_of_date=as_of_date,
        feature_names=list(feature_names),
        booster=booster,
        payment_rule=PaymentDateRule.from_json(rule),
    )
