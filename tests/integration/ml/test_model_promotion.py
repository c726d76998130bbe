"""Champion and challenger models on a real Postgres, through training and `cartera model`: the
first model is champion by itself; a later one is a challenger that scoring ignores, with its
evidence on the same held-out rows; a promotion is refused without a named person and when the
AUC difference's interval does not clear the stated minimum, accepted when it does; a rejected
challenger is never scored; every decision audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import psycopg
import pytest
from marts_builder import AS_OF, build_marts, write_marts
from psycopg.rows import dict_row
from typer.testing import CliRunner

from cartera.cli import app
from cartera.config import get_settings
from ml.registry import load_champion
from ml.scoring import score_open_items
from ml.training import train_and_register

pytestmark = pytest.mark.integration

LATER = AS_OF + dt.timedelta(days=7)


@pytest.fixture
def cli(fresh_db: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CARTERA_DATABASE_URL", fresh_db)
    monkeypatch.delenv("CARTERA_MODEL_PROMOTION", raising=False)  # the default: a person approves
    get_settings.cache_clear()
    return CliRunner()


def _decisions(dsn: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("select * from ml.model_decisions order by decision_id").fetchall()


def _models(dsn: str) -> dict[str, tuple[bool, str | None]]:
    with psycopg.connect(dsn) as conn:
        return {m: (c, r) for m, c, r in conn.execute("select model_id, is_champion, review from ml.models")}


def _scored_by(dsn: str, day: dt.date) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("select distinct model_id from ml.invoice_scores where score_date = %s", (day,))
        return {r[0] for r in rows}


def _evidence(dsn: str, model_id: str) -> dict[str, Any]:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("select metrics->'challenged_champion' from ml.models where model_id = %s", (model_id,))
        return dict(row.fetchone()[0])  # type: ignore[index]


def _blind_champion(dsn: str) -> None:
    """Make the champion a model that cannot rank at all (a booster without trees: the same
    probability for every invoice, AUC 0.5), so a later model's gain is clear."""
    import xgboost as xgb

    with psycopg.connect(dsn) as conn:
        (names,) = conn.execute("select feature_names from ml.models where is_champion").fetchone()  # type: ignore[misc]
        rng = np.random.default_rng(0)
        noise = xgb.DMatrix(rng.random((50, len(names))), label=rng.integers(0, 2, 50), feature_names=names)
        blind = xgb.train({"objective": "binary:logistic"}, noise, num_boost_round=0)
        conn.execute(
            "update ml.models set booster = %s, selection = '{}'::jsonb, champion_booster = null where is_champion",
            (bytes(blind.save_raw("json")),),
        )


def test_the_first_model_is_champion_and_a_later_one_a_challenger_that_scoring_ignores_until_rejected(
    cli: CliRunner, fresh_db: str
) -> None:
    write_marts(fresh_db, build_marts())
    first = train_and_register(fresh_db, AS_OF)
    assert first.is_champion  # nothing to compare with: scoring works on day one
    later = train_and_register(fresh_db, LATER)
    assert not later.is_champion
    assert _models(fresh_db) == {first.model_id: (True, None), later.model_id: (False, "pending")}

    found = _evidence(fresh_db, later.model_id)  # both scored on the same held-out rows
    assert found["champion_model_id"] == first.model_id and 30 < found["n"] < found["window"]["n_test_window"]
    with psycopg.connect(fresh_db) as conn:  # the rows neither model was fitted on: after the later's training window
        (last_fitted,) = conn.execute(
            "select metrics->'training_window'->>'last_issue_date' from ml.models where model_id = %s",
            (later.model_id,),
        ).fetchone()  # type: ignore[misc]
    assert found["window"]["issued_after"] == last_fitted > (AS_OF - dt.timedelta(days=91)).isoformat()
    diff = found["auc_difference"]
    assert diff["ci95_low"] <= diff["value"] <= diff["ci95_high"]
    assert diff["value"] == pytest.approx(found["auc_challenger"] - found["auc_champion"], abs=1e-3)
    assert 0 <= found["ece_champion"] <= 1 and 0 <= found["ece_challenger"] <= 1

    score_open_items(fresh_db, LATER)
    assert _scored_by(fresh_db, LATER) == {first.model_id}  # the pending challenger is not scored
    shown = cli.invoke(app, ["model", "status"])
    assert f"champion: {first.model_id}" in shown.output and f"challenger: {later.model_id}" in shown.output

    refused = cli.invoke(app, ["model", "reject", later.model_id, "--by", "airflow"])  # an account, not a person
    assert refused.exit_code == 2 and "refused: a decision needs the name of the person" in refused.output
    rejected = cli.invoke(app, ["model", "reject", later.model_id, "--by", "Ana López", "--note", "drifted book"])
    assert rejected.exit_code == 0, rejected.output
    again = cli.invoke(app, ["model", "promote", later.model_id, "--by", "Ana López"])
    assert again.exit_code == 2 and "is rejected, not a challenger awaiting a decision" in again.output

    assert _models(fresh_db)[later.model_id] == (False, "rejected")
    score_open_items(fresh_db, LATER)
    assert _scored_by(fresh_db, LATER) == {first.model_id}
    audit = _decisions(fresh_db)
    assert [(r["action"], r["attempted"], r["decided_by"]) for r in audit] == [
        ("auto", None, None),  # the first model, by rule
        ("refused", "reject", "airflow"),
        ("reject", None, "Ana López"),
        ("refused", "promote", "Ana López"),
    ]
    assert audit[0]["model_id"] == first.model_id and audit[0]["champion_before"] is None
    assert audit[2]["model_id"] == later.model_id and audit[2]["champion_before"] == first.model_id
    assert audit[2]["note"] == "drifted book" and audit[2]["evidence"]["auc_difference"] == diff
    history = cli.invoke(app, ["model", "history"])
    assert f"reject {later.model_id}" in history.output and "training run: auto" in history.output


def test_a_promotion_needs_a_named_person_and_an_interval_wholly_above_the_minimum(
    cli: CliRunner, fresh_db: str
) -> None:
    write_marts(fresh_db, build_marts())
    first = train_and_register(fresh_db, AS_OF)
    _blind_champion(fresh_db)
    later = train_and_register(fresh_db, LATER)
    assert not later.is_champion
    diff = _evidence(fresh_db, later.model_id)["auc_difference"]
    assert diff["ci95_low"] > 0.05  # a real model against a blind one, on the same held-out rows

    def promote(*extra: str) -> Any:
        return cli.invoke(app, ["model", "promote", later.model_id, *extra])

    assert promote().exit_code == 2  # --by is required (refused before anything runs)
    account = promote("--by", "root")
    assert account.exit_code == 2 and "refused: a decision needs the name of the person" in account.output
    above = round(diff["ci95_high"] + 0.01, 2)
    crossing = promote("--by", "Ana López", "--min-improvement", str(above))
    assert crossing.exit_code == 2 and "does not lie wholly above" in crossing.output, crossing.output
    with psycopg.connect(fresh_db) as conn:
        assert load_champion(conn).model_id == first.model_id  # type: ignore[union-attr]

    below = round(diff["ci95_low"] - 0.01, 2)
    accepted = promote("--by", "Ana López", "--min-improvement", str(below), "--note", "four weeks of evidence")
    assert accepted.exit_code == 0, accepted.output
    assert f"accepted: {later.model_id} replaces {first.model_id}" in accepted.output
    with psycopg.connect(fresh_db) as conn:
        assert load_champion(conn).model_id == later.model_id  # type: ignore[union-attr]
    assert _models(fresh_db) == {first.model_id: (False, None), later.model_id: (True, "promoted")}
    score_open_items(fresh_db, LATER)
    assert _scored_by(fresh_db, LATER) == {later.model_id}
    assert promote("--by", "Ana López").exit_code == 2  # already the champion

    audit = _decisions(fresh_db)
    assert [(r["action"], r["attempted"], r["decided_by"]) for r in audit] == [
        ("auto", None, None),
        ("refused", "promote", "root"),
        ("refused", "promote", "Ana López"),
        ("promote", None, "Ana López"),
        ("refused", "promote", "Ana López"),
    ]
    assert float(audit[2]["min_improvement"]) == above and audit[2]["evidence"]["auc_difference"] == diff
    promoted = audit[3]
    assert (promoted["model_id"], promoted["champion_before"], float(promoted["min_improvement"])) == (
        later.model_id, first.model_id, below,
    )  # fmt: skip
    assert promoted["note"] == "four weeks of evidence" and promoted["decided_at"] is not None
    assert promoted["evidence"]["auc_difference"] == diff and promoted["os_user"]
