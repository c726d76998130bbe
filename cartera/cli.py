"""`cartera`: the command line of the collections platform."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="cartera: accounts-receivable collections for Mexico and Latin America.", no_args_is_help=True)
db_app = typer.Typer(help="The local (embedded) Postgres and the warehouse's own tables.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _today() -> dt.date:
    # The CLI is the one place allowed to read the clock: it turns "now" into an explicit date.
    return dt.datetime.now(dt.UTC).date()


@db_app.command("start")
def db_start() -> None:
    """Start (or reuse) the embedded Postgres and print its DSN (no password: trust on 127.0.0.1)."""
    from cartera import local_env

    env = local_env.prepare()
    typer.echo(env["CARTERA_DATABASE_URL"])


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded Postgres if it runs."""
    from cartera import local_postgres
    from cartera.config import get_settings

    stopped = local_postgres.stop(get_settings().state_dir)
    typer.echo("stopped" if stopped else "not running")


@db_app.command("init")
def db_init() -> None:
    """Create cartera's schemas and tables in the configured warehouse (idempotent)."""
    from cartera.config import get_settings
    from cartera.db import init_warehouse

    init_warehouse(get_settings().warehouse_dsn)
    typer.echo("warehouse tables ready")


@app.command()
def generate(
    seed: int = 7,
    customers: int = 500,
    months: int = 24,
    as_of: Annotated[str | None, typer.Option(help="Last day of the history (YYYY-MM-DD); default yesterday")] = None,
    replace: bool = False,
) -> None:
    """Write a synthetic Mexican B2B company into the ERP source schema."""
    from cartera.config import get_settings
    from cartera.sources.generator import generate as run

    settings = get_settings()
    day = dt.date.fromisoformat(as_of) if as_of else _today() - dt.timedelta(days=1)
    summary = run(
        settings.erp_dsn,
        schema=settings.erp_schema,
        seed=seed,
        customers=customers,
        months=months,
        as_of=day,
        replace=replace,
    )
    typer.echo(json.dumps(summary.as_dict(), default=str, indent=2))


@app.command()
def kpi(limit: int = 7) -> None:
    """Print the latest daily KPI snapshots."""
    from cartera.config import get_settings
    from cartera.kpi import latest
    from cartera.reporting import kpi_table

    typer.echo(kpi_table(latest(get_settings().warehouse_dsn, limit)))


@app.command()
def demo(
    as_of: Annotated[str | None, typer.Option(help="Business date of the run (YYYY-MM-DD); default today")] = None,
    customers: int = 500,
    months: int = 24,
    seed: int = 7,
) -> None:
    """Set up locally and run the whole pipeline end to end (what `make demo` runs)."""
    from cartera.demo import DemoOptions, run_demo
    from cartera.reporting import demo_report

    day = dt.date.fromisoformat(as_of) if as_of else _today()
    result = run_demo(DemoOptions(as_of=day, customers=customers, months=months, seed=seed))
    typer.echo(demo_report(result))


@app.command()
def up() -> None:
    """Run Airflow locally (`airflow standalone`: API server with the UI, scheduler, DAG processor,
    triggerer) on the same database and DAGs as the demo; email goes to the local fake SendGrid
    unless CARTERA_SENDGRID_API_KEY is set."""
    import os
    import subprocess
    import sys

    from cartera import local_env
    from cartera.dbt_manifest import parse_manifest

    env = local_env.prepare()
    logs = Path(env["CARTERA_STATE_DIR"]) / "logs"
    logs.mkdir(exist_ok=True)
    os.environ.update(env)
    local_env.ensure_airflow_db(env, logs / "airflow-db.log")
    parse_manifest()
    if not os.environ.get("CARTERA_SENDGRID_API_KEY"):
        outdir = Path(env["CARTERA_STATE_DIR"]) / "outbox"
        subprocess.Popen(
            [sys.executable, "-m", "cartera.channels.fake_sendgrid", "--port", "8025", "--outdir", str(outdir)]
        )
        os.environ["CARTERA_SENDGRID_HOST"] = "http://127.0.0.1:8025"
        os.environ["CARTERA_SENDGRID_API_KEY"] = "SG.local-fake-key"
        typer.echo(f"email goes to the local fake SendGrid; messages are written to {outdir}")
    airflow_exe = str(Path(sys.executable).parent / "airflow")
    os.execve(airflow_exe, [airflow_exe, "standalone"], dict(os.environ))


@app.command("fake-sendgrid")
def fake_sendgrid(port: int = 8025, outdir: Path = Path(".cartera/outbox")) -> None:
    """Run the local fake SendGrid server in the foreground (for `make up`)."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "cartera.channels.fake_sendgrid", "--port", str(port), "--outdir", str(outdir)],
        check=True,
    )


if __name__ == "__main__":
    app()
