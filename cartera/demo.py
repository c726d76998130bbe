"""The local end-to-end run behind `make demo`: set up, generate a company, run every DAG in
order with `airflow dags test`, and print what happened.

A second run reuses the database, the generated data and Airflow's metadata, and sends nothing
twice (the outbox's idempotency keys and the ingest watermarks see to it).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cartera.config import get_settings
from cartera.logs import get_logger

log = get_logger(__name__)

# (dag id, UTC time of its logical instant on the business day). The ERP is read at 00:30 Mexico
# City time, the warehouse, model and scores follow, reminders go out late morning local time.
DAG_ORDER: tuple[tuple[str, dt.time], ...] = (
    ("ingest_erp", dt.time(6, 30)),
    ("warehouse", dt.time(7, 0)),
    ("training", dt.time(7, 0)),
    ("scoring", dt.time(7, 0)),
    ("kpi_snapshot", dt.time(7, 0)),
    ("campaigns", dt.time(17, 0)),
)


@dataclass
class DemoOptions:
    as_of: dt.date
    customers: int = 500
    months: int = 24
    seed: int = 7
    state_dir: Path | None = None
    dags: tuple[str, ...] = tuple(name for name, _ in DAG_ORDER)
    campaign_instant: dt.datetime | None = None  # override the campaigns run's instant (tests)
    echo: Callable[[str], None] = print


@dataclass
class DemoResult:
    as_of: dt.date
    env: dict[str, str]
    outbox_dir: Path
    timings: dict[str, float] = field(default_factory=dict)
    loop_counts: dict[str, int] = field(default_factory=dict)  # what the fake providers and debtors answered


def _dbt_parse(env: dict[str, str], log_file: Path) -> None:
    """Write dbt_project/target/manifest.json so Cosmos renders the DAG without `dbt ls`."""
    dbt = Path(sys.executable).parent / "dbt"
    project = get_settings().dbt_project_dir
    with log_file.open("ab") as out:
        subprocess.run(
            [str(dbt), "parse", "--project-dir", str(project), "--profiles-dir", str(project)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=300,
        )


def _approve_waiting_batch(dsn: str, as_of: dt.date, echo: Callable[[str], None]) -> bool:
    """The day's batch waits for an admin (a first batch of this playbook and these rule packs
    always does): the demo shows why and approves it as 'demo-admin', like an admin would in the
    workspace or with `cartera batch approve`. Returns whether it approved one."""
    from cartera.campaigns.approval import decide
    from cartera.campaigns.outbox import batch_id_for
    from cartera.db import connect

    batch_id = batch_id_for(as_of)
    with connect(dsn) as conn:
        row = conn.execute(
            "select reasons, preview from ops.batch_approvals where batch_id = %s and status = 'pending'", (batch_id,)
        ).fetchone()
        if row is None:
            return False
        reasons, shown = row
        echo(f"  batch {batch_id} waits for approval: {'; '.join(reasons)}")
        echo(
            f"    preview: {shown['messages']} messages naming {shown['amount_mxn']} MXN; by channel {shown['by_channel']}"
        )
        decide(conn, batch_id, "approved", "demo-admin", dt.datetime.now(dt.UTC), "make demo approves its own batch")
    echo(f"  batch {batch_id} approved by demo-admin (cartera batch approve {batch_id}); dispatching it")
    return True


def _dags_test(
    dag_id: str, instant: dt.datetime, env: dict[str, str], logs: Path, echo: Callable[[str], None]
) -> float:
    """Run one DAG with ``airflow dags test`` at its logical instant (its log in ``logs``); the seconds it took."""
    from cartera.local import env as local_env
    from cartera.progress import Heartbeat

    t = time.monotonic()
    local_env.airflow(
        ["dags", "test", dag_id, instant.isoformat()],
        env,
        log_file=logs / f"dag-{dag_id}.log",
        heartbeat=Heartbeat(f"{dag_id:<13}", echo=echo),
    )
    return time.monotonic() - t


def run_demo(options: DemoOptions) -> DemoResult:
    from cartera.channels.fake_sendgrid import FakeSendGrid
    from cartera.db import init_warehouse
    from cartera.local import env as local_env
    from cartera.synthetic import generate

    echo = options.echo
    started = time.monotonic()
    env = local_env.prepare(options.state_dir)
    state = Path(env["CARTERA_STATE_DIR"])
    logs = state / "logs"
    logs.mkdir(exist_ok=True)
    os.environ.update(env)
    get_settings.cache_clear()
    timings: dict[str, float] = {"database": time.monotonic() - started}
    echo(f"warehouse ready ({timings['database']:.1f} s); logs in {logs}")

    t = time.monotonic()
    init_warehouse(env["CARTERA_DATABASE_URL"])
    summary = generate(
        env["CARTERA_DATABASE_URL"],
        schema=get_settings().erp_schema,
        seed=options.seed,
        customers=options.customers,
        months=options.months,
        as_of=options.as_of - dt.timedelta(days=1),
    )
    timings["generate"] = time.monotonic() - t
    counts = summary.as_dict().get("counts", {})
    echo(f"ERP source: {counts} ({timings['generate']:.1f} s)")

    t = time.monotonic()
    local_env.ensure_airflow_db(env, logs / "airflow-db.log")
    _dbt_parse(env, logs / "dbt-parse.log")
    timings["airflow_db_and_dbt_parse"] = time.monotonic() - t

    outbox_dir = state / "outbox"
    fake = None
    if not os.environ.get("CARTERA_SENDGRID_API_KEY"):
        fake = FakeSendGrid(outbox_dir)
        base_url = fake.start()
        env["CARTERA_SENDGRID_HOST"] = base_url
        env["CARTERA_SENDGRID_API_KEY"] = "SG.local-fake-key"
        echo(f"email goes to a local fake SendGrid at {base_url}; each message is written to {outbox_dir}")
    loop = None
    if fake is not None:
        from cartera.demo_loop import ContactLoop

        loop = ContactLoop(fake, seed=options.seed)
        env.update(loop.start())
        echo(
            f"SMS and WhatsApp go to a local fake Twilio; provider events and replies come back to {loop.receiver_url}"
        )
    loop_counts: dict[str, int] = {}
    if fake is not None or options.campaign_instant is not None:
        # Replaying a past business day against local fakes: the dispatch's clock starts at the
        # run's logical instant (refused by the dispatcher when a provider is not local).
        env["CARTERA_SIMULATED_CLOCK"] = "true"
    try:
        for dag_id, at in DAG_ORDER:
            if dag_id not in options.dags:
                continue
            instant = dt.datetime.combine(options.as_of, at, tzinfo=dt.UTC)
            if dag_id == "campaigns" and options.campaign_instant is not None:
                instant = options.campaign_instant
            timings[dag_id] = _dags_test(dag_id, instant, env, logs, echo)
            echo(f"  {dag_id:<13} ok  {timings[dag_id]:5.1f} s  (logical instant {instant.isoformat()})")
            if dag_id == "campaigns" and _approve_waiting_batch(env["CARTERA_DATABASE_URL"], options.as_of, echo):
                timings["campaigns_after_approval"] = _dags_test(dag_id, instant, env, logs, echo)
                echo(f"  {dag_id:<13} ok  {timings['campaigns_after_approval']:5.1f} s  (after the approval)")
            if dag_id == "campaigns" and loop is not None:
                t = time.monotonic()
                loop_counts = dict(loop.answer())
                timings["provider_events_and_replies"] = time.monotonic() - t
    finally:
        if loop is not None:
            loop.stop()
        if fake is not None:
            fake.stop()
    timings["total"] = time.monotonic() - started
    return DemoResult(as_of=options.as_of, env=env, outbox_dir=outbox_dir, timings=timings, loop_counts=loop_counts)
