"""A day of the DAGs on the production engine: CeleryExecutor with two Celery workers (Redis
broker, Postgres metadata and results), started on this machine without Docker by
cartera.local.celery_stack, on fresh databases.

The runs are triggered through the REST API in the day's order, with the scheduler's own timetables
off (`use_job_schedule = False`): unpausing a cron DAG would otherwise add a run for the latest
wall-clock interval, and the asset-triggered ones would start before the model they need exists.
Email goes to the local fake SendGrid; the first batch waits for an admin, who approves it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from airflow_api import AirflowApi, RunRecord

from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.local.celery_stack import CeleryStack, celery_stack

pytestmark = [pytest.mark.distributed, pytest.mark.slow, pytest.mark.timeout(3600)]

AS_OF = dt.date(2026, 11, 24)
CUSTOMERS, MONTHS = 60, 12  # training needs labelled invoices issued before a cutoff months back


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(AS_OF, dt.time(hour, minute), tzinfo=dt.UTC)


@dataclass
class Day:
    stack: CeleryStack
    fake: FakeSendGrid
    runs: list[RunRecord]
    startup_seconds: float
    generate_seconds: float

    @property
    def dsn(self) -> str:
        return self.stack.env["CARTERA_DATABASE_URL"]

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with psycopg.connect(self.dsn) as conn:
            return list(conn.execute(sql, params).fetchall())

    @property
    def task_instances(self) -> list[dict[str, object]]:
        return [ti for run in self.runs for ti in run.task_instances]


def _approve(dsn: str) -> bool:
    from cartera.campaigns.approval import decide
    from cartera.campaigns.outbox import batch_id_for
    from cartera.db import connect

    with connect(dsn) as conn:
        return decide(conn, batch_id_for(AS_OF), "approved", "test-admin", dt.datetime.now(dt.UTC), "distributed test")


def _run_the_day(api: AirflowApi, dsn: str) -> list[RunRecord]:
    dags = ["ingest_erp", "warehouse", "training", "scoring", "kpi_snapshot", "campaigns"]
    api.wait_for_dags(dags)
    for dag_id in dags:
        api.unpause(dag_id)
    runs = [
        api.run("ingest_erp", at(6, 30)),
        api.run("warehouse", at(7)),
        api.run("training", at(7)),
    ]
    # Scoring and the KPI snapshot both read the marts and the champion: they run side by side.
    started = time.monotonic()
    parallel = [("scoring", api.trigger("scoring", at(7))), ("kpi_snapshot", api.trigger("kpi_snapshot", at(7)))]
    runs += [api.wait(dag_id, run_id, started) for dag_id, run_id in parallel]
    runs.append(api.run("campaigns", at(17)))
    if _approve(dsn):  # the first batch of a playbook waits for an admin; the next run sends it
        runs.append(api.run("campaigns", at(17, 5)))
    return runs


@pytest.fixture(scope="module")
def day(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    from cartera.config import get_settings
    from cartera.synthetic import generate

    state = tmp_path_factory.mktemp("celery-state")
    fake = FakeSendGrid(state / "fake-sendgrid")
    extra_env = {
        "CARTERA_SENDGRID_HOST": fake.start(),
        "CARTERA_SENDGRID_API_KEY": "SG.distributed-test-key",
        "CARTERA_SIMULATED_CLOCK": "true",  # a replayed day against the local fake only
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
    }
    try:
        t = time.monotonic()
        with celery_stack(pg_server_dsn, state, workers=2, concurrency=2, extra_env=extra_env) as stack:
            startup_seconds = time.monotonic() - t
            t = time.monotonic()
            generate(
                stack.env["CARTERA_DATABASE_URL"],
                schema=get_settings().erp_schema,
                seed=11,
                customers=CUSTOMERS,
                months=MONTHS,
                as_of=AS_OF - dt.timedelta(days=1),
            )
            generate_seconds = time.monotonic() - t
            api = AirflowApi(stack)
            try:
                runs = _run_the_day(api, stack.env["CARTERA_DATABASE_URL"])
            finally:
                api.close()
            the_day = Day(stack, fake, runs, startup_seconds, generate_seconds)
            _report(the_day, Path(os.environ.get("CARTERA_DISTRIBUTED_REPORT") or state / "distributed-run.json"))
            yield the_day
    finally:
        fake.stop()
        get_settings.cache_clear()


def _report(day: Day, path: Path) -> None:
    """What ran where and how long each DAG took, as JSON (docs/production.md quotes a run)."""
    report = {
        "as_of": AS_OF.isoformat(),
        "customers": CUSTOMERS,
        "months": MONTHS,
        "startup_seconds": round(day.startup_seconds, 1),
        "generate_seconds": round(day.generate_seconds, 1),
        "runs": [
            {
                **{k: v for k, v in asdict(run).items() if k != "task_instances"},
                "seconds": round(run.seconds, 1),
                "tasks": [
                    {"task_id": ti["task_id"], "hostname": ti["hostname"], "duration": ti["duration"]}
                    for ti in run.task_instances
                ],
            }
            for run in day.runs
        ],
        "tasks_per_worker": dict(Counter(str(ti["hostname"]) for ti in day.task_instances)),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\ndistributed run report: {path} (stack up in {day.startup_seconds:.0f} s)")
    for run in report["runs"]:
        tasks = ", ".join(f"{t['task_id']}@{str(t['hostname']).split('@')[0]}" for t in run["tasks"])
        print(f"  {run['dag_id']:<13} {run['state']:<8} {run['run_seconds']!s:>6} s  {tasks}")
    print(f"  tasks per worker: {report['tasks_per_worker']}")


def test_every_task_instance_of_the_day_succeeded(day: Day) -> None:
    assert [run.dag_id for run in day.runs][:6] == [
        "ingest_erp",
        "warehouse",
        "training",
        "scoring",
        "kpi_snapshot",
        "campaigns",
    ]
    states = {(ti["dag_id"], ti["task_id"]): ti["state"] for ti in day.task_instances}
    assert states and set(states.values()) == {"success"}, states


def test_the_tasks_ran_on_both_workers(day: Day) -> None:
    hosts = Counter(str(ti["hostname"]) for ti in day.task_instances)
    expected = {f"{name}@" for name in day.stack.worker_names}
    assert {host.split("@")[0] + "@" for host in hosts} == expected, hosts


def test_the_warehouse_has_the_days_open_items_scores_and_kpi_snapshot(day: Day) -> None:
    assert day.query("select count(*) from marts.fct_open_items where as_of_date = %s", (AS_OF,))[0][0] > 0
    assert day.query("select count(*) from ml.models where is_champion")[0][0] == 1
    assert day.query("select count(*) from ml.invoice_scores where score_date = %s", (AS_OF,))[0][0] > 0
    (snapshot,) = day.query(
        "select open_invoices, total_ar_mxn from kpi.daily_snapshots where snapshot_date = %s", (AS_OF,)
    )
    assert snapshot[0] > 0 and snapshot[1] > 0


def test_the_approved_batch_was_sent_once_to_the_fake_sendgrid(day: Day) -> None:
    sent = day.query("select idempotency_key, provider_message_id from ops.outbox where status = 'sent'")
    assert sent, "the approved batch sent no email"
    keys = [_idempotency_key(m["request"]) for m in day.fake.messages]
    assert len(keys) == len(set(keys)), "a message reached the provider twice"
    assert sorted(keys) == sorted(str(row[0]) for row in sent)


def _idempotency_key(request: dict[str, Any]) -> str:
    """The key a copy carries in its custom_args (the request's, or its personalization's)."""
    personalization = (request.get("personalizations") or [{}])[0]
    for args in (request.get("custom_args"), personalization.get("custom_args")):
        if isinstance(args, dict) and "idempotency_key" in args:
            return str(args["idempotency_key"])
    raise AssertionError(f"a message without an idempotency key in its custom_args: {sorted(request)}")
