"""A batch that must be seen first waits: nothing of it is sent until an admin approves; a
rejection cancels it; a later batch of the same playbook and rule packs goes on its own unless
it crosses a threshold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from campaign_inputs import AS_OF, local
from typer.testing import CliRunner

from cartera.campaigns import approval, build_batch, dispatch
from cartera.campaigns.outbox import batch_id_for
from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.cli import app

pytestmark = pytest.mark.integration
MORNING = local(2026, 3, 10, 10)
RULES = approval.ApprovalRules()
POLICY = "MX-CONDUSEF-2014:2026.2"


def _assess(dsn: str, day: dt.date = AS_OF, rules: approval.ApprovalRules = RULES) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return approval.assess(conn, batch_id_for(day), MORNING, rules=rules, policy=POLICY)


def _statuses(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [r[0] for r in conn.execute("select status from ops.outbox order by outbox_id").fetchall()]


def test_the_first_batch_waits_for_approval_with_a_preview_and_goes_once_approved(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_batch(campaign_dsn, AS_OF)
    reasons = _assess(campaign_dsn)
    assert reasons and "first batch" in reasons[0]
    with psycopg.connect(campaign_dsn) as conn:
        (status, shown) = conn.execute("select status, preview from ops.batch_approvals").fetchone() or ()
    with psycopg.connect(campaign_dsn) as conn:
        (planned,) = conn.execute("select count(*) from ops.outbox where status <> 'cancelled'").fetchone() or (0,)
    assert status == "pending" and shown["messages"] == planned > 0 and shown["by_channel"] == {"email": planned}
    assert Decimal(shown["amount_mxn"]) > 0 and shown["sample_outbox_ids"]

    held = dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)
    assert held.claimed == 0 and fake_sendgrid.messages == []

    from cartera.config import get_settings

    monkeypatch.setenv("CARTERA_DATABASE_URL", campaign_dsn)
    get_settings.cache_clear()
    cli = CliRunner()
    shown_cli = cli.invoke(app, ["batch", "show", AS_OF.isoformat()])
    assert shown_cli.exit_code == 0 and "pending" in shown_cli.output and "first batch" in shown_cli.output
    assert cli.invoke(app, ["batch", "approve", "campaign-2026-03-10"]).exit_code == 0
    assert cli.invoke(app, ["batch", "approve", "campaign-2026-03-10"]).exit_code == 2  # decided already
    assert cli.invoke(app, ["batch", "approve", "not-a-batch"]).exit_code == 2
    get_settings.cache_clear()

    sent = dispatch(campaign_dsn, MORNING + dt.timedelta(minutes=1), channel_factory=channel_factory)
    assert sent.sent == 5 and len(fake_sendgrid.messages) == 5
    with psycopg.connect(campaign_dsn) as conn:
        (by, at) = conn.execute("select decided_by, decided_at from ops.batch_approvals").fetchone() or ()
    assert by and at is not None


def test_a_rejected_batch_is_cancelled_and_never_sent(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: Any
) -> None:
    build_batch(campaign_dsn, AS_OF)
    _assess(campaign_dsn)
    with psycopg.connect(campaign_dsn) as conn:
        assert approval.decide(conn, batch_id_for(AS_OF), "rejected", "admin", MORNING, "wrong template")
    dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)
    assert set(_statuses(campaign_dsn)) == {"cancelled"} and fake_sendgrid.messages == []


def test_a_later_batch_of_the_same_versions_goes_alone_unless_over_a_threshold(campaign_dsn: str) -> None:
    build_batch(campaign_dsn, AS_OF)
    _assess(campaign_dsn)
    next_day = AS_OF + dt.timedelta(days=1)
    with psycopg.connect(campaign_dsn) as conn:
        approval.decide(conn, batch_id_for(AS_OF), "approved", "admin", MORNING)
        conn.execute("update marts.fct_open_items set as_of_date = as_of_date + 1")
        conn.execute("update ml.customer_segments set score_date = score_date + 1")
        conn.execute(  # a new invoice falls due: tomorrow's batch has a message
            "insert into marts.fct_open_items (as_of_date, invoice_id, invoice_number, customer_id, issue_date, "
            "due_date, currency, open_amount, open_amount_mxn, days_past_due, aging_bucket, is_disputed) "
            "values (%s, 'I20', 'F-0020', 'C3', %s, %s, 'MXN', 321, 321, 3, 'x', false)",
            (next_day, next_day - dt.timedelta(days=33), next_day - dt.timedelta(days=3)),
        )
    build_batch(campaign_dsn, next_day)
    with psycopg.connect(campaign_dsn) as conn:
        (planned,) = conn.execute(
            "select count(*) from ops.outbox where batch_id = %s", (batch_id_for(next_day),)
        ).fetchone() or (0,)
    assert planned > 0
    assert _assess(campaign_dsn, next_day) == []  # same playbook and packs as an approved batch
    strict = approval.ApprovalRules(max_messages=0, max_amount_mxn=Decimal("1"))
    reasons = _assess(campaign_dsn, next_day, strict)
    assert len(reasons) == 2 and all("over the threshold" in r for r in reasons)
