"""Score the open book with the champion: p_late, expected payment date, reasons, segments.

Writes ``ml.invoice_scores`` (one row per invoice open on the score date) and
``ml.customer_segments`` (one row per customer with an invoice issued by then), replacing what
the score date had, in one transaction: a rerun gives the same rows, a failure leaves the old ones.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cartera.db import connect
from cartera.errors import DataNotReadyError
from cartera.logs import get_logger
from ml.drift import PSI_ALERT, RECENT_DAYS, drift_report, record_drift
from ml.explanations import top_reasons_many
from ml.features import build_features, customer_features, load_allocations, load_invoice_history
from ml.payment_date import expected_payment_dates
from ml.registry import StoredModel, load_champion
from ml.segments import assign_segments

if TYPE_CHECKING:
    import psycopg

log = get_logger(__name__)


@dataclass(frozen=True)
class ScoringSummary:
    """Counts of one scoring run (no customer data)."""

    score_date: dt.date
    model_id: str
    n_scored: int
    n_customers: int
    mean_p_late: float | None
    segments: dict[str, int] = field(default_factory=dict)


def score_features(features: pd.DataFrame, model: StoredModel) -> pd.DataFrame:
    """Scores for feature rows (from build_features): invoice_id, customer_id, p_late,
    expected_payment_date, reasons, open_amount_mxn. Pure given the model."""
    import xgboost as xgb

    columns = [
        "invoice_id",
        "customer_id",
        "p_late",
        "expected_payment_date",
        "expected_payment_date_lower",
        "expected_payment_date_upper",
        "reasons",
        "open_amount_mxn",
    ]
    if features.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    matrix = xgb.DMatrix(features.loc[:, model.feature_names].astype("float64"), feature_names=model.feature_names)
    # The champion chosen per book (calibrated) gives p_late; the pipeline's booster explains it.
    p_late = model.predict(features)
    contribs = model.booster.predict(matrix, pred_contribs=True)[:, :-1]  # last column is the bias
    values = features.loc[:, model.feature_names].to_numpy(dtype="float64")
    reasons = top_reasons_many(np.asarray(p_late, dtype="float64"), contribs, model.feature_names, values)
    return pd.DataFrame(
        {
            "invoice_id": features["invoice_id"].to_numpy(),
            "customer_id": features["customer_id"].to_numpy(),
            # float32 from XGBoost → rounded float64 so reruns compare equal through Postgres.
            "p_late": np.round(p_late.astype("float64"), 6),
            **_payment_dates(features, model),
            "reasons": reasons,
            "open_amount_mxn": features["open_amount_mxn"].to_numpy(),
        }
    )


def _payment_dates(features: pd.DataFrame, model: StoredModel) -> dict[str, list[Any]]:
    """Expected payment date (the regressor's when stored, else the rule's) and its interval.

    An open invoice whose expected date is already past is expected OVERDUE_RESCHEDULE_DAYS after
    the score date (as the rule does), and its interval moves with it.
    """
    if model.payment_regressor is None:
        n = len(features)
        return {
            "expected_payment_date": list(expected_payment_dates(features, model.payment_rule)),
            "expected_payment_date_lower": [None] * n,
            "expected_payment_date_upper": [None] * n,
        }
    dates = model.payment_regressor.predict_dates(features.reset_index(drop=True))
    as_of = pd.to_datetime(features["as_of_date"]).reset_index(drop=True)
    floor = as_of + pd.Timedelta(days=model.payment_rule.overdue_reschedule_days)
    shift = (floor - dates["expected"]).where(dates["expected"] <= as_of, pd.Timedelta(0))
    return {
        key: [ts.date() for ts in dates[column] + shift]
        for key, column in (
            ("expected_payment_date", "expected"),
            ("expected_payment_date_lower", "lower"),
            ("expected_payment_date_upper", "upper"),
        )
    }


def risk_scores(scores: pd.DataFrame) -> pd.Series:
    """Amount-weighted mean p_late of each customer's open items (simple mean if all weights are 0)."""
    if scores.empty:
        return pd.Series(dtype="float64", name="risk_score")
    frame = scores.assign(weight=scores["open_amount_mxn"].astype("float64").clip(lower=0))
    frame["weighted"] = frame["weight"] * frame["p_late"]
    grouped = frame.groupby("customer_id")
    weighted = grouped["weighted"].sum() / grouped["weight"].sum()
    risk = weighted.where(grouped["weight"].sum() > 0, grouped["p_late"].mean())
    return risk.round(6).rename("risk_score")


# Open items scored at once: the contributions, the reasons and the rows sent to Postgres are
# one chunk's, so scoring memory does not grow with the open book.
SCORE_CHUNK_ROWS = 20_000
_SCORE_COLUMNS = (
    "score_date",
    "invoice_id",
    "customer_id",
    "model_id",
    "p_late",
    "expected_payment_date",
    "expected_payment_date_lower",
    "expected_payment_date_upper",
    "reasons",
)


def _copy_scores(conn: psycopg.Connection, as_of: dt.date, model_id: str, scores: pd.DataFrame) -> None:
    """One chunk of scores into ml.invoice_scores with COPY, as one block of COPY text (a row
    object and a Jsonb adapter per row cost more than the row's text)."""
    statement = f"copy ml.invoice_scores ({', '.join(_SCORE_COLUMNS)}) from stdin"
    day, model = _copy_field(as_of.isoformat()), _copy_field(model_id)
    columns = zip(
        scores["invoice_id"].tolist(),
        scores["customer_id"].tolist(),
        scores["p_late"].tolist(),
        _copy_dates(scores["expected_payment_date"]),
        _copy_dates(scores["expected_payment_date_lower"]),
        _copy_dates(scores["expected_payment_date_upper"]),
        scores["reasons"].tolist(),
        strict=True,
    )
    block = "".join(
        f"{day}\t{_copy_field(str(invoice))}\t{_copy_field(str(customer))}\t{model}\t{float(p)!r}\t{expected}\t"
        f"{lower}\t{upper}\t{_copy_field(json.dumps(reasons, ensure_ascii=False))}\n"
        for invoice, customer, p, expected, lower, upper, reasons in columns
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:  # type: ignore[arg-type]  # constant columns
        copy.write(block)


def _copy_field(text: str) -> str:
    """A value as COPY text format writes it (backslash, tab, newline and return escaped)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_dates(values: pd.Series) -> list[str]:
    """Dates (or None) as COPY text: ISO dates, \\N for none."""
    return ["\\N" if d is None or pd.isna(d) else d.isoformat() for d in values.tolist()]


def _copy_segments(conn: psycopg.Connection, as_of: dt.date, segments: pd.DataFrame) -> None:
    statement = "copy ml.customer_segments (score_date, customer_id, risk_score, segment, reasons) from stdin"
    day = _copy_field(as_of.isoformat())
    rows = zip(
        segments["customer_id"].tolist(),
        segments["risk_score"].tolist(),
        segments["segment"].tolist(),
        segments["reasons"].tolist(),
        strict=True,
    )
    block = "".join(
        f"{day}\t{_copy_field(str(customer))}\t{_copy_risk(risk)}\t{_copy_field(str(segment))}\t"
        f"{_copy_field(json.dumps(reasons, ensure_ascii=False))}\n"
        for customer, risk, segment, reasons in rows
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.write(block)


def _copy_risk(risk: float | None) -> str:
    return "\\N" if risk is None or np.isnan(risk) else repr(float(risk))


def _score_in_chunks(
    conn: psycopg.Connection, as_of: dt.date, model: StoredModel, features: pd.DataFrame
) -> pd.DataFrame:
    """Score the open book SCORE_CHUNK_ROWS at a time, each chunk written as it is scored;
    returns what the segments need of every score (customer_id, p_late, open_amount_mxn)."""
    kept = []
    for start in range(0, max(len(features), 1), SCORE_CHUNK_ROWS):
        scores = score_features(features.iloc[start : start + SCORE_CHUNK_ROWS], model)
        _copy_scores(conn, as_of, model.model_id, scores)
        kept.append(scores.loc[:, ["customer_id", "p_late", "open_amount_mxn"]])
    return pd.concat(kept, ignore_index=True)


def _recent_late(invoices: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Late flags of the invoices settled in the RECENT_DAYS up to ``as_of`` (for the late-rate PSI)."""
    if invoices.empty:
        return pd.Series(dtype="float64")
    settled = pd.to_datetime(invoices["settled_date"])
    day = pd.Timestamp(as_of)
    recent = settled.notna() & (settled <= day) & (settled > day - pd.Timedelta(days=RECENT_DAYS))
    return (settled[recent] > pd.to_datetime(invoices.loc[recent, "due_date"])).astype("float64")


def score_open_items(dsn: str, as_of: dt.date) -> ScoringSummary:
    """Score every invoice open on ``as_of`` with the champion and segment the customers.

    Raises DataNotReadyError when no champion model exists yet (run the training DAG first).
    Idempotent per score date.
    """
    with connect(dsn) as conn:
        model = load_champion(conn)
        if model is None:
            raise DataNotReadyError(as_of.isoformat(), ["no champion model in ml.models: run the training DAG first"])
        invoices = load_invoice_history(conn, as_of)
        allocations = load_allocations(conn, as_of)

    # Each customer's history once: the segments' figures, and the open items' (less each item itself).
    customers = customer_features(invoices, as_of, allocations)
    features = build_features(invoices, as_of, for_invoices="open", allocations=allocations, customers=customers)
    recent_late = _recent_late(invoices, as_of)
    del invoices, allocations  # the book is in the features now: free it before scoring
    drift = drift_report(model.reference or {}, features, recent_late)
    # One transaction: the day's old rows stay until every chunk and the segments are written.
    with connect(dsn) as conn:
        conn.execute("delete from ml.invoice_scores where score_date = %s", (as_of,))
        conn.execute("delete from ml.customer_segments where score_date = %s", (as_of,))
        scores = _score_in_chunks(conn, as_of, model, features)
        customers = customers.merge(risk_scores(scores), left_on="customer_id", right_index=True, how="left")
        segments = assign_segments(customers)
        _copy_segments(conn, as_of, segments)
        drifted = record_drift(
            conn, as_of, model.model_id, drift, dt.datetime.combine(as_of, dt.time(0), tzinfo=dt.UTC)
        )
    if drifted:
        log.warning("model %s: drift above PSI %s in %s: retraining requested", model.model_id, PSI_ALERT, drifted)

    counts = {str(k): int(v) for k, v in segments["segment"].value_counts().sort_index().items()}
    mean_p = round(float(scores["p_late"].mean()), 4) if len(scores) else None
    log.info(
        "scored %s open invoices, %s customers with model %s; segments %s",
        len(scores),
        len(segments),
        model.model_id,
        counts,
    )
    return ScoringSummary(
        score_date=as_of,
        model_id=model.model_id,
        n_scored=len(scores),
        n_customers=len(segments),
        mean_p_late=mean_p,
        segments=counts,
    )
