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


def run_demo(options: DemoOptions) -> DemoResult:
    from cartera import local_env
    from cartera.channels.fake_sendgrid import FakeSendGrid
    from cartera.db import init_warehouse
    from cartera.sources.generator import generate

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
    try:
        for dag_id, at in DAG_ORDER:
            if dag_id not in options.dags:
                continue
            instant = dt.datetime.combine(options.as_of, at, tzinfo=dt.UTC)
            if dag_id == "campaigns" and options.campaign_instant is not None:
                instant = options.campaign_instant
            t = time.monotonic()
            local_env.airflow(["dags", "test", dag_id, instant.isoformat()], env, log_file=logs / f"dag-{dag_id}.log")
            timings[dag_id] = time.monotonic() - t
            echo(f"  {dag_id:<13} ok  {timings[dag_id]:5.1f} s  (logical instant {instant.isoformat()})")
    finally:
        if fake is not None:
            fake.stop()
    timings["total"] = time.monotonic() - started
    return DemoResult(as_of=options.as_of, env=env, outbox_dir=outbox_dir, timings=timings)
