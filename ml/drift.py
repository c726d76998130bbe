"""Daily drift checks: PSI of each feature and of the late rate against the champion's training rows.

Population stability index over the reference's deciles: ``sum((a − e) · ln(a / e))`` over bins,
``e`` the training share and ``a`` today's share (each floored at 0.0001). Read as usual: below 0.1
stable, 0.1–0.2 moving, **above 0.2 drifted**. The late rate is checked as a two-bin distribution
(late / on time): the training rows' against the invoices settled in the last ``RECENT_DAYS``.

A drifted quantity writes an ops.alerts row (``ml:drift:<model>:<date>``) and a row in
ml.retrain_requests, which the training run marks served; the daily check runs in scoring.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from psycopg.types.json import Jsonb

from cartera.alerts import Alert, write_alert

if TYPE_CHECKING:
    import psycopg

PSI_ALERT = 0.2
N_BINS = 10
RECENT_DAYS = 30
_FLOOR = 1e-4


def reference_distribution(frame: pd.DataFrame, names: list[str], late: pd.Series) -> dict[str, Any]:
    """Per feature: decile edges and the training share per bin (missing values a bin of their own);
    and the training late share. Stored with the model (ml.models.reference)."""
    features: dict[str, Any] = {}
    for name in names:
        values = frame[name].astype("float64")
        known = values.dropna()
        edges = np.unique(np.quantile(known, np.linspace(0, 1, N_BINS + 1)[1:-1])) if len(known) else np.array([])
        features[name] = {"edges": [float(e) for e in edges], "shares": _shares(values, edges)}
    return {"features": features, "late_share": round(float(late.mean()), 6) if len(late) else None}


def _shares(values: pd.Series, edges: np.ndarray) -> list[float]:
    v = values.astype("float64").to_numpy()
    bins = np.where(np.isnan(v), len(edges) + 1, np.searchsorted(edges, v, side="right"))
    counts = np.bincount(bins.astype("int64"), minlength=len(edges) + 2)
    return [float(c) / max(len(v), 1) for c in counts]


def psi(expected: list[float], actual: list[float]) -> float:
    e = np.maximum(np.asarray(expected, dtype="float64"), _FLOOR)
    a = np.maximum(np.asarray(actual, dtype="float64"), _FLOOR)
    return round(float(np.sum((a - e) * np.log(a / e))), 4)


def drift_report(reference: dict[str, Any], today: pd.DataFrame, recent_late: pd.Series) -> dict[str, float]:
    """PSI per feature of ``today``'s rows, and ``late_rate`` for the recently settled invoices."""
    out: dict[str, float] = {}
    if not len(today):
        return out
    for name, ref in reference.get("features", {}).items():
        if name in today.columns:
            out[name] = psi(ref["shares"], _shares(today[name], np.asarray(ref["edges"])))
    base = reference.get("late_share")
    if base is not None and len(recent_late):
        now = float(recent_late.mean())
        out["late_rate"] = psi([1 - base, base], [1 - now, now])
    return out


def record_drift(
    conn: psycopg.Connection, score_date: dt.date, model_id: str, report: dict[str, float], at: dt.datetime
) -> list[str]:
    """Store the day's PSIs; above PSI_ALERT raise an alert and request an earlier retraining.
    Returns the drifted quantities (sorted). Idempotent per (score_date, model)."""
    conn.execute("delete from ml.drift_checks where score_date = %s and model_id = %s", (score_date, model_id))
    with conn.cursor() as cur:
        cur.executemany(
            "insert into ml.drift_checks (score_date, model_id, quantity, psi) values (%s, %s, %s, %s)",
            [(score_date, model_id, name, value) for name, value in sorted(report.items())],
        )
    drifted = sorted(name for name, value in report.items() if value > PSI_ALERT)
    if drifted:
        reasons = [f"{name}: PSI {report[name]:.2f} > {PSI_ALERT}" for name in drifted]
        write_alert(
            conn,
            Alert(
                dedup_key=f"ml:drift:{model_id}:{score_date.isoformat()}",
                kind="ml_drift",
                severity="warning",
                summary=f"{len(drifted)} model input(s) drifted from the training rows of {model_id}: retrain early",
                reasons=reasons,
                entity_type="model",
                entity_id=model_id,
            ),
            at,
        )
        conn.execute(
            """insert into ml.retrain_requests (requested_on, model_id, reasons) values (%s, %s, %s)
               on conflict (requested_on) do update set reasons = excluded.reasons, model_id = excluded.model_id""",
            (score_date, model_id, Jsonb(reasons)),
        )
    return drifted


def retrain_requested(conn: psycopg.Connection, as_of: dt.date) -> bool:
    """True when a drift check on or before ``as_of`` asked for a retraining not yet served."""
    row = conn.execute(
        "select 1 from ml.retrain_requests where requested_on <= %s and served_by_model_id is null limit 1", (as_of,)
    ).fetchone()
    return row is not None


def mark_served(conn: psycopg.Connection, as_of: dt.date, model_id: str) -> None:
    """A model trained on ``as_of`` serves every open request dated on or before it."""
    conn.execute(
        "update ml.retrain_requests set served_by_model_id = %s where requested_on <= %s and served_by_model_id is null",
        (model_id, as_of),
    )
