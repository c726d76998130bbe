"""The campaigns DAG's build task with CARTERA_STRATEGY=learned, on a real Postgres: it learns
from closed outcomes first, decides with the new state, writes each choice, keeps the control
group on the fixed playbook, and `cartera why` shows the learner's line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from campaign_inputs import AS_OF, local, seed_inputs
from psycopg.rows import dict_row
from typer.testing import CliRunner

from cartera.campaigns import outbox
from cartera.campaigns.playbook import load_playbook
from cartera.cli import app
from cartera.config import get_settings
from cartera.db import scratch_database
from cartera.learning.control import group_of
from cartera.learning.store import load_or_warm
from cartera.tasks import build_batch_for_run

pytestmark = pytest.mark.integration

MORNING = local(2026, 3, 10, 9)  # the hourly run at 09:00 Mexico City
CONTEXT = {"logical_date": MORNING, "params": {"as_of": AS_OF.isoformat()}}
EARLIER = AS_OF - dt.timedelta(days=20)  # a message whose 14-day window has closed
OUTCOMES_DDL = """
create table if not exists marts.fct_message_outcomes (
    outbox_id bigint primary key, sent_date date, payments_in_window integer, is_opted_out_after boolean,
    is_spam_reported boolean, reply_class text
)
"""
# The columns of an outbox row that say what was decided (not ids or build instants).
DECIDED = ("customer_id", "channel", "step", "template", "tone", "invoice_ids", "not_before", "status")


@pytest.fixture
def fixed_dsn(pg_server_dsn: str) -> Iterator[str]:
    """A second warehouse with the same inputs, built with the fixed playbook."""
    with scratch_database(pg_server_dsn, "cartera_fixed") as dsn:
        seed_inputs(dsn)
        yield dsn


def _use(monkeypatch: pytest.MonkeyPatch, dsn: str, strategy: str) -> None:
    monkeypatch.setenv("CARTERA_DATABASE_URL", dsn)
    monkeypatch.setenv("CARTERA_STRATEGY", strategy)
    get_settings.cache_clear()


def _closed_outcome(dsn: str) -> None:
    """A learned decision 20 days ago (state version 1), its message sent and paid within the window."""
    with psycopg.connect(dsn) as conn:
        load_or_warm(conn, load_playbook(), at=local(2026, 2, 18, 8))
        batch = outbox.open_batch(conn, EARLIER, "2026-02", local(2026, 2, 18, 9))
        sent = local(2026, 2, 18, 11)
        (outbox_id,) = conn.execute(
            "insert into ops.outbox (idempotency_key, batch_id, as_of_date, customer_id, invoice_ids, step, template, "
            "tone, channel, status, not_before, created_at, sent_at, updated_at) values ('earlier-C1', %s, %s, 'C1', "
            "array['I0'], 'recordatorio', 'recordatorio_vencido', 'amable', 'email', 'sent', %s, %s, %s, %s) "
            "returning outbox_id",
            (batch, EARLIER, sent, sent, sent, sent),
        ).fetchone() or (0,)
        conn.execute(
            "insert into ops.learner_decisions (learner, state_version, decided_at, as_of_date, customer_id, "
            "idempotency_key, grp, mode, channel, hour_block, tone, segment, bucket, reason_es, reason_en) values "
            "('channel_hour_tone', 1, %s, %s, 'C1', 'earlier-C1', 'learner', 'exploit', 'email', '11h', 'amable', "
            "'at_risk', 'at_risk|mid|d1_7|small|none', 'x', 'x')",
            (sent, EARLIER),
        )
        conn.execute(OUTCOMES_DDL)
        conn.execute(
            "insert into marts.fct_message_outcomes values (%s, %s, 1, false, false, null)", (outbox_id, EARLIER)
        )


def _rows(dsn: str, query: str, *params: Any) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()  # type: ignore[arg-type]


def _decided(dsn: str) -> dict[str, dict[str, Any]]:
    rows = _rows(dsn, "select * from ops.outbox where as_of_date = %s", AS_OF)
    return {r["customer_id"]: {k: r[k] for k in DECIDED} for r in rows}


def test_the_scheduled_learned_build_learns_first_then_decides_and_explains(
    campaign_dsn: str, fixed_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, fixed_dsn, "fixed")
    build_batch_for_run(AS_OF.isoformat(), CONTEXT)
    fixed = _decided(fixed_dsn)
    assert _rows(fixed_dsn, "select * from ops.learner_state") == []  # a fixed build loads no learner

    _closed_outcome(campaign_dsn)
    _use(monkeypatch, campaign_dsn, "learned")
    build_batch_for_run(AS_OF.isoformat(), CONTEXT)

    # It learned from the closed outcome before deciding: version 2, the old decision rewarded in it.
    states = _rows(campaign_dsn, "select version, source, outcomes from ops.learner_state order by version")
    assert states == [
        {"version": 1, "source": "warm_start", "outcomes": 0},
        {"version": 2, "source": "outcomes", "outcomes": 1},
    ]
    decisions = _rows(campaign_dsn, "select * from ops.learner_decisions order by decision_id")
    assert decisions[0]["rewarded_in_version"] == 2
    today = {d["customer_id"]: d for d in decisions if d["as_of_date"] == AS_OF}
    learned = _decided(campaign_dsn)
    # Every message of the day was chosen and written, with the state version it was chosen with;
    # C6 (opted out) gets a decision (no lawful arm) and no message, as under the fixed playbook.
    # The preventive plan drops C1's pre-due step, which the fixed build merged into its reminder.
    assert set(today) == set(learned) | {"C6"} and set(learned) == set(fixed)
    assert today["C6"]["mode"] == "no_lawful_arm"
    assert learned["C1"]["invoice_ids"] == fixed["C1"]["invoice_ids"] == ["I1", "I2"]
    assert {d["state_version"] for d in today.values()} == {2}
    for customer, decision in today.items():
        assert decision["grp"] == group_of(customer)
    for customer in learned:  # the decision joins its message (and later its outcome) by key
        assert today[customer]["idempotency_key"] == outbox.idempotency_key(
            customer, learned[customer]["channel"], AS_OF
        )
    # C2 is in the control group: exactly what the fixed playbook does, chosen by the playbook.
    assert group_of("C2") == "control" and today["C2"]["mode"] == "playbook"
    assert learned["C2"] == fixed["C2"]
    assert {today[c]["mode"] for c in learned if c != "C2"} <= {"exploit", "explore"}

    cli = CliRunner()
    why = cli.invoke(app, ["why", "C1", "--days", "3650", "--lang", "en"])
    assert why.exit_code == 0, why.output
    assert "Learner v2: " in why.output and "expected rate" in why.output
    control = cli.invoke(app, ["why", "C2", "--days", "3650", "--lang", "en"])
    assert "Fixed playbook (control)" in control.output

    # The next hourly run of the same day learns nothing new and changes nothing.
    build_batch_for_run(AS_OF.isoformat(), {**CONTEXT, "logical_date": MORNING + dt.timedelta(hours=1)})
    assert len(_rows(campaign_dsn, "select 1 from ops.learner_state")) == 2
    assert _decided(campaign_dsn) == learned
