"""Train on a synthetic history in the documented marts, score the open book, rerun both."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from marts_builder import AS_OF, build_marts, write_marts

from ml.scoring import score_open_items
from ml.training import train_and_register

pytestmark = pytest.mark.integration


def _rows(dsn: str, query: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return list(conn.execute(query, params).fetchall())


def test_training_then_scoring_writes_models_scores_and_segments_and_reruns_identically(fresh_db: str) -> None:
    marts = build_marts()
    write_marts(fresh_db, marts)

    info = train_and_register(fresh_db, AS_OF)
    assert info.is_champion and info.n_train > 100 and info.n_test > 30
    assert info.auc_test is not None and info.auc_test > 0.5
    assert info.trained_at == dt.datetime(2025, 6, 30, tzinfo=dt.UTC)  # from the business date, not the clock

    summary = score_open_items(fresh_db, AS_OF)
    open_count = int(marts.invoices["settled_date"].isna().sum())
    assert summary.n_scored == open_count > 0
    assert summary.n_customers == len(marts.customers)
    scores = _rows(
        fresh_db,
        "select invoice_id, p_late, expected_payment_date, reasons from ml.invoice_scores where score_date = %s order by invoice_id",
        (AS_OF,),
    )
    segments = _rows(
        fresh_db,
        "select customer_id, risk_score, segment, reasons from ml.customer_segments where score_date = %s order by customer_id",
        (AS_OF,),
    )
    assert len(scores) == open_count and len(segments) == len(marts.customers)
    for _, p_late, expected, reasons in scores:
        assert 0.0 <= p_late <= 1.0 and expected > AS_OF
        assert 1 <= len(reasons) <= 3 and all(r["es"] and r["en"] for r in reasons)
    names = set(marts.customers["customer_name"]) | set(marts.customers["rfc"])
    assert not any(name in str(row) for row in scores + segments for name in names)
    by_customer = {c: s for c, _, s, _ in segments}
    assert by_customer["C025"] == by_customer["C026"] == "new"  # the two customers added 40 days ago
    chronic = marts.customers["customer_id"][12:18]  # built third, with an 85 % late rate
    assert sum(by_customer[c] == "chronic" for c in chronic) >= 5

    # A rerun of the same day replaces that day's model and scores: same counts, same numbers.
    again = train_and_register(fresh_db, AS_OF)
    assert again.model_id == info.model_id and again.auc_test == info.auc_test and again.is_champion
    score_open_items(fresh_db, AS_OF)
    assert _rows(fresh_db, "select count(*), count(*) filter (where is_champion) from ml.models") == [(1, 1)]
    assert (
        _rows(
            fresh_db,
            "select invoice_id, p_late, expected_payment_date, reasons from ml.invoice_scores where score_date = %s order by invoice_id",
            (AS_OF,),
        )
        == scores
    )
    assert (
        _rows(
            fresh_db,
            "select customer_id, risk_score, segment, reasons from ml.customer_segments where score_date = %s order by customer_id",
            (AS_OF,),
        )
        == segments
    )


def test_with_automatic_promotion_a_later_model_takes_the_champion_only_by_beating_it_on_the_same_rows(
    fresh_db: str,
) -> None:
    write_marts(fresh_db, build_marts())
    first = train_and_register(fresh_db, AS_OF, promotion="auto")
    with psycopg.connect(fresh_db) as conn:  # its own window's figure no longer decides
        conn.execute("update ml.models set metrics = jsonb_set(metrics, '{auc_test}', '0.999')")
    later = train_and_register(fresh_db, AS_OF + dt.timedelta(days=7), promotion="auto")
    [(challenged,)] = _rows(
        fresh_db, "select metrics->'challenged_champion' from ml.models where model_id = %s", (later.model_id,)
    )
    assert challenged["champion_model_id"] == first.model_id and 0 < challenged["n"] < later.n_test
    assert later.is_champion == (challenged["auc_challenger"] >= challenged["auc_champion"])
    champion = first.model_id if not later.is_champion else later.model_id
    assert _rows(fresh_db, "select model_id from ml.models where is_champion") == [(champion,)]
    autos = _rows(fresh_db, "select model_id, decided_by from ml.model_decisions where action = 'auto'")
    assert autos == [(first.model_id, None)] + ([(later.model_id, None)] if later.is_champion else [])


def test_scoring_writes_the_payment_interval_and_a_drift_check(fresh_db: str) -> None:
    write_marts(fresh_db, build_marts())
    train_and_register(fresh_db, AS_OF)
    score_open_items(fresh_db, AS_OF)
    dates = _rows(
        fresh_db,
        """select expected_payment_date_lower, expected_payment_date, expected_payment_date_upper
           from ml.invoice_scores where score_date = %s""",
        (AS_OF,),
    )
    assert dates and all(low is None or low <= mid <= high for low, mid, high in dates)
    checks = dict(_rows(fresh_db, "select quantity, psi from ml.drift_checks where score_date = %s", (AS_OF,)))
    assert "cust_late_share" in checks and all(v >= 0 for v in checks.values())


def test_scoring_without_a_champion_says_to_train_first(fresh_db: str) -> None:
    from cartera.errors import DataNotReadyError

    write_marts(fresh_db, build_marts())
    with pytest.raises(DataNotReadyError, match="run the training DAG first"):
        score_open_items(fresh_db, AS_OF)
