"""The whole day, end to end: every DAG in order with `airflow dags test`, on a real Postgres,
with email going to the local fake SendGrid server through the real SendGrid SDK.

Campaigns first run at 13:30 UTC, when it is 07:30 in Mexico City and Cancún but 06:30 in Sonora
and 05:30 in Tijuana: the western customers' messages must wait; a rerun at the same instant
sends nothing new; the 17:00 UTC run sends what waited and nothing twice.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from cartera.channels.fake_sendgrid import FakeSendGrid

# The module fixture runs six DAGs through `airflow dags test` (about 5 min on a quiet 2-core machine);
# on a loaded one it needs more than the suite's 600 s per test, and a timeout there is not a finding.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e"), pytest.mark.timeout(1800)]

AS_OF = dt.date(2026, 11, 24)
EARLY = dt.datetime(2026, 11, 24, 13, 30, tzinfo=dt.UTC)
LATE = dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.UTC)


class Day:
    """The state of one end-to-end run, shared by the tests of this module."""

    def __init__(self, dsn: str, state: Path, fake: FakeSendGrid) -> None:
        self.dsn = dsn
        self.state = state
        self.fake = fake
        self.result: object = None

    def run(self, dags: tuple[str, ...], campaign_instant: dt.datetime) -> None:
        from cartera.demo import DemoOptions, run_demo

        self.result = run_demo(
            DemoOptions(
                as_of=AS_OF,
                customers=80,
                months=12,
                seed=11,
                state_dir=self.state,
                dags=dags,
                campaign_instant=campaign_instant,
                echo=lambda _: None,
            )
        )

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with psycopg.connect(self.dsn) as conn:
            return list(conn.execute(sql, params).fetchall())


@pytest.fixture(scope="module")
def day(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    from cartera.db import scratch_database

    with (
        scratch_database(pg_server_dsn, "cartera_e2e", with_tables=False) as dsn,
        scratch_database(pg_server_dsn, "cartera_e2e_airflow", with_tables=False) as airflow_dsn,
    ):
        state = tmp_path_factory.mktemp("e2e-state")
        fake = FakeSendGrid(state / "fake-sendgrid")
        base_url = fake.start()
        saved = dict(os.environ)
        os.environ.update(
            {
                "CARTERA_DATABASE_URL": dsn,
                "CARTERA_AIRFLOW_DATABASE_URL": airflow_dsn,
                "CARTERA_SENDGRID_API_KEY": "SG.e2e-test-key",
                "CARTERA_SENDGRID_HOST": base_url,
            }
        )
        from cartera.config import get_settings

        get_settings.cache_clear()
        try:
            the_day = Day(dsn, state, fake)
            the_day.run(("ingest_erp", "warehouse", "training", "scoring", "kpi_snapshot", "campaigns"), EARLY)
            yield the_day
        finally:
            fake.stop()
            os.environ.clear()
            os.environ.update(saved)
            get_settings.cache_clear()


def _key(message: dict[str, object]) -> str:
    return str(message["request"]["custom_args"]["idempotency_key"])  # type: ignore[index]


def _sent(day: Day) -> list[tuple[object, ...]]:
    return day.query(
        """select o.idempotency_key, o.customer_id, o.invoice_ids, o.sent_at, c.timezone, o.provider_message_id
           from ops.outbox o join marts.dim_customers c using (customer_id) where o.status = 'sent'"""
    )


def test_every_stage_wrote_its_result(day: Day) -> None:
    assert day.query("select count(*) from raw.invoices")[0][0] > 500
    assert day.query("select count(*) from marts.fct_open_items where as_of_date = %s", (AS_OF,))[0][0] > 0
    assert day.query("select count(*) from ml.models where is_champion")[0][0] == 1
    assert day.query("select count(*) from ml.invoice_scores where score_date = %s", (AS_OF,))[0][0] > 0
    (snapshot,) = day.query(
        "select open_invoices, total_ar_mxn from kpi.daily_snapshots where snapshot_date = %s", (AS_OF,)
    )
    assert snapshot[0] > 0 and snapshot[1] > 0


def test_the_demo_report_shows_the_model_the_policy_reasons_and_the_kpis(day: Day) -> None:
    from cartera.reporting import demo_report

    report = demo_report(day.result)  # type: ignore[arg-type]
    assert "test AUC" in report and "KPI snapshot:" in report and str(AS_OF) in report
    assert "Contact policy at build" in report and "allow: allowed" in report
    emails = [str(r[0]) for r in day.query("select email from marts.dim_contacts where email is not null")]
    assert emails and not [e for e in emails if e in report], "no e-mail address in what the demo prints"


def test_the_fake_sendgrid_received_exactly_the_outboxs_sent_rows(day: Day) -> None:
    sent = _sent(day)
    assert sent, "the day's batch sent no email at all"
    received = day.fake.messages
    assert sorted(_key(m) for m in received) == sorted(str(r[0]) for r in sent)
    assert {m["message_id"] for m in received} == {r[5] for r in sent}
    assert len(list((day.state / "fake-sendgrid").glob("*.eml"))) == len(received)


def test_no_message_was_sent_outside_the_debtors_legal_hours(day: Day) -> None:
    for _, _, _, sent_at, timezone, _ in _sent(day):
        local = sent_at.astimezone(ZoneInfo(str(timezone)))  # type: ignore[union-attr]
        assert dt.time(7, 0) <= local.time() < dt.time(22, 0), (timezone, local)
    waiting = day.query(
        """select c.timezone, o.not_before from ops.outbox o join marts.dim_customers c using (customer_id)
           where o.status in ('deferred', 'pending') and o.not_before > %s""",
        (EARLY,),
    )
    assert waiting, "some messages must wait (legal hours in the west, one reminder per customer per day)"
    for timezone, not_before in waiting:  # each waits for an instant the law allows
        local = not_before.astimezone(ZoneInfo(str(timezone)))  # type: ignore[attr-defined]
        assert dt.time(7, 0) <= local.time() < dt.time(22, 0), (timezone, local)


def test_the_policy_engine_decided_every_message_at_build_and_at_send(day: Day) -> None:
    stages = dict(day.query("select stage, count(*) from ops.contact_decisions group by 1"))
    assert stages.get("build", 0) > 0 and stages.get("send", 0) > 0
    unaudited = day.query(
        """select o.idempotency_key from ops.outbox o where o.status = 'sent' and not exists (
               select 1 from ops.contact_decisions d where d.idempotency_key = o.idempotency_key
               and d.stage = 'send' and d.verdict = 'allow' and d.rule_pack_version is not null
               and d.rule_pack_id not in ('CAMPAIGNS', 'playbook', 'learning'))"""
    )
    assert unaudited == [], "every message sent has the engine's allow, with its rule-pack version"
    # One decision, one row: no second audit table, and no send decision recorded twice.
    assert day.query("select to_regclass('ops.policy_decisions') is null") == [(True,)]
    twins = day.query(
        "select outbox_id, decided_at from ops.contact_decisions where stage = 'send' group by 1, 2 having count(*) > 1"
    )
    assert twins == []


def test_no_message_covers_a_paid_or_disputed_invoice(day: Day) -> None:
    bad = day.query(
        """select o.idempotency_key, i.invoice_id, i.is_settled, i.is_disputed
           from ops.outbox o cross join lateral unnest(o.invoice_ids) as inv(invoice_id)
           join marts.fct_invoices i on i.invoice_id = inv.invoice_id
           where o.status = 'sent' and (i.open_amount <= 0 or i.is_disputed)"""
    )
    assert bad == []


def test_a_rerun_at_the_same_instant_sends_nothing_new_and_later_the_waiting_ones_go_once(day: Day) -> None:
    before = len(day.fake.messages)
    loads = "select count(*), coalesce(sum(rows_loaded), 0) from ops.ingest_loads where rows_loaded > 0"
    raw_before = day.query("select count(*) from raw.invoices")[0][0]
    loads_before = day.query(loads)
    day.run(("ingest_erp", "campaigns"), EARLY)
    assert len(day.fake.messages) == before
    assert day.query(loads) == loads_before, "the rerun's ingest loaded nothing"
    assert day.query("select count(*) from raw.invoices")[0][0] == raw_before

    due = "select count(*) from ops.outbox where status in ('pending', 'deferred') and not_before <= %s"
    day.run(("campaigns",), LATE)
    after = day.fake.messages
    assert day.query(due, (LATE,))[0][0] == 0, "every message due by 17:00 UTC was sent, cancelled or deferred"
    # The dispatch's clock replays the day from the run's instant (local fakes only): each message is
    # stamped with the instant its own check ran, a few seconds after 17:00.
    sent_late = day.query("select count(*) from ops.outbox where status = 'sent' and sent_at >= %s", (LATE,))[0][0]
    assert len(after) == before + sent_late
    keys = [_key(m) for m in after]
    assert len(keys) == len(set(keys)), "no message was sent twice"
    per_customer = day.query(
        "select customer_id, count(*) from ops.outbox where status = 'sent' group by 1 having count(*) > 1"
    )
    assert per_customer == [], "at most one reminder per customer per day"


def test_every_dashboard_section_has_rows_after_a_day(day: Day) -> None:
    from cartera.dashboard.queries import SECTIONS

    empty = []
    with psycopg.connect(day.dsn) as conn:
        for key, (_, sql) in SECTIONS.items():
            rows = conn.execute(sql).fetchall()  # type: ignore[call-overload]  # no parameters, as the dashboard runs it
            if key != "quarantine" and not rows:
                empty.append(key)
    assert empty == [], "each query runs on the real warehouse (errors raise here) and shows the day"
