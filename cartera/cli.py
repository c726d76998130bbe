"""`cartera`: the command line of the collections platform."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import typer

from cartera.cli_anomalies import anomalies_app
from cartera.cli_batch import batch_app
from cartera.cli_data import backtest, generate, import_
from cartera.cli_guard import FailClosedGroup, free_text, parse_date, report_and_exit_code
from cartera.cli_model import model_app
from cartera.cli_outbox import outbox_app
from cartera.cli_portfolio import portfolio_app
from cartera.cli_simulate import simulate_app
from cartera.cli_strategy import strategy_app
from cartera.collector_actions import HoldReason

app = typer.Typer(
    cls=FailClosedGroup,
    help="cartera: accounts-receivable collections for Mexico and Latin America.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="The local (embedded) Postgres and the warehouse's own tables.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.command()(generate)
app.command()(backtest)
app.command("import")(import_)
app.add_typer(outbox_app, name="outbox")
app.add_typer(batch_app, name="batch")
app.add_typer(simulate_app, name="simulate")
app.add_typer(anomalies_app, name="anomalies")
app.add_typer(strategy_app, name="strategy")
app.add_typer(model_app, name="model")
app.add_typer(portfolio_app, name="portfolio")


def _today() -> dt.date:
    # The CLI is the one place allowed to read the clock: it turns "now" into an explicit date.
    return dt.datetime.now(dt.UTC).date()


@db_app.command("start")
def db_start() -> None:
    """Start (or reuse) the embedded Postgres and print its DSN (no password: trust on 127.0.0.1)."""
    from cartera.local import env as local_env

    env = local_env.prepare()
    typer.echo(env["CARTERA_DATABASE_URL"])


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded Postgres if it runs."""
    from cartera.config import get_settings
    from cartera.local import postgres as local_postgres

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
def why(
    customer: Annotated[str, typer.Argument(help="The customer: internal id or RFC")],
    days: Annotated[int, typer.Option(min=1, max=3650, help="How many days back")] = 14,
    lang: Annotated[Literal["es", "en"], typer.Option(help="Language of the reasons")] = "es",
) -> None:
    """Why did (or didn't) this customer get a message? Every contact decision, with its rule and rule-pack version."""
    from cartera.config import get_settings
    from cartera.db import connect
    from cartera.policy.audit import explain_customer
    from cartera.resolve import resolve_customer

    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    with connect(get_settings().warehouse_dsn) as conn:
        customer_id = resolve_customer(conn, customer)
        decisions = explain_customer(conn, customer_id, since)
        outbox = conn.execute(
            "select as_of_date, step, channel, status, status_reason, not_before, sent_at from ops.outbox "
            "where customer_id = %s and created_at >= %s order by created_at, outbox_id",
            (customer_id, since),
        ).fetchall()
        from cartera.replies import replies_for_customer

        replies = replies_for_customer(conn, customer_id, since)
    if not decisions and not outbox and not replies:
        typer.echo(f"no contact decision about customer {customer_id} in the last {days} days")
        return
    for d in decisions:
        when = d["decided_at"].isoformat(timespec="minutes")
        later = f" -> {d['next_allowed_at'].isoformat(timespec='minutes')}" if d["next_allowed_at"] else ""
        reason = d["reason_es"] if lang == "es" else d["reason_en"]
        typer.echo(
            f"{when} {d['stage']:<5} {d['channel'] or '-':<8} {d['verdict']:<5}{later}  [{d['rule_id']} v{d['rule_pack_version']}] {reason}"
        )
    for row in outbox:
        typer.echo(f"outbox {row[0]} {row[1]} {row[2]}: {row[3]}" + (f" ({row[4]})" if row[4] else ""))
    for reply in replies:  # what the customer answered, as read (never the text itself)
        promise = f" until {reply.promise_date}" if reply.promise_date else ""
        typer.echo(
            f"{reply.received_at.isoformat(timespec='minutes')} reply {reply.channel:<8} {reply.classification}"
            f"{promise} -> {reply.route} [{reply.rule}] (reply {reply.reply_id})"
        )


_UNTIL_RANGE = " (after today in the books' time zone; a promise to pay at most a year ahead)"


@app.command()
def hold(
    customer: Annotated[str, typer.Argument(help="The customer: internal id or RFC")],
    reason: Annotated[HoldReason, typer.Option(help="Why")],
    invoice: Annotated[
        str | None,
        typer.Option(help="Only this invoice: internal id or the folio on the invoice (default: all the customer's)"),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Last day of the hold (YYYY-MM-DD, after today); for a promise, the promised date"),
    ] = None,
    note: Annotated[str | None, typer.Option(help="Free text for the collectors (no personal data)")] = None,
) -> None:
    """Stop (or, for a promise to pay with a date, postpone) reminders to a customer or an invoice, from now."""
    from cartera.cli_outbox import _who
    from cartera.collector_actions import hold_until_range, open_hold
    from cartera.config import get_settings
    from cartera.db import connect
    from cartera.run_dates import BOOKS_TZ

    now = dt.datetime.now(dt.UTC)
    day = None
    if until is not None:
        earliest, last = hold_until_range(reason, now.astimezone(BOOKS_TZ).date())
        day = parse_date(until, "--until", earliest=earliest, latest=last, why=_UNTIL_RANGE)
    text = free_text(note, "--note", max_length=500) if note is not None else None
    with connect(get_settings().warehouse_dsn) as conn:
        # Resolved and written in one transaction: an unknown reference writes nothing.
        done = open_hold(conn, customer, reason, at=now, by=_who(), invoice=invoice, until=day, note=text)
    typer.echo(
        f"hold {done.row_id} opened for customer {done.customer_id}"
        + (f", invoice {done.invoice_id}" if done.invoice_id else "")
    )


@app.command("opt-out")
def opt_out(
    customer: Annotated[str, typer.Argument(help="The customer: internal id or RFC")],
    channel: Annotated[Literal["email", "sms", "whatsapp", "all"], typer.Option(help="Which channel")] = "all",
    source: Annotated[Literal["reply", "call", "manual"], typer.Option(help="Where the request came from")] = "manual",
) -> None:
    """Record an opt-out: it takes effect at once, for the next send too (checked just before sending)."""
    from cartera.cli_outbox import _who
    from cartera.collector_actions import record_opt_out
    from cartera.config import get_settings
    from cartera.db import connect

    with connect(get_settings().warehouse_dsn) as conn:
        # Resolved and written in one transaction: an unknown reference writes nothing.
        done = record_opt_out(conn, customer, channel, at=dt.datetime.now(dt.UTC), by=_who(), source=source)
    typer.echo(f"customer {done.customer_id} opted out of {channel}")


@app.command()
def kpi(limit: Annotated[int, typer.Option(min=1, max=1000, help="How many days, newest first")] = 14) -> None:
    """Print the daily KPI history (kpi.daily_snapshots), newest first, with a legend."""
    from cartera.config import get_settings
    from cartera.kpi import latest
    from cartera.reporting import kpi_table

    typer.echo(kpi_table(latest(get_settings().warehouse_dsn, limit)))


@app.command()
def demo(
    as_of: Annotated[str | None, typer.Option(help="Business date of the run (YYYY-MM-DD); default today")] = None,
    customers: Annotated[int, typer.Option(min=1, max=1_000_000)] = 500,
    months: Annotated[int, typer.Option(min=1, max=120)] = 24,
    seed: Annotated[int, typer.Option(min=0, max=2**31 - 1)] = 7,
) -> None:
    """Set up locally and run the whole pipeline end to end (what `make demo` runs)."""
    from cartera.demo import DemoOptions, run_demo
    from cartera.reporting import demo_report

    day = parse_date(as_of, "--as-of") if as_of is not None else _today()
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

    from cartera.local import env as local_env

    env = local_env.prepare()
    logs = Path(env["CARTERA_STATE_DIR"]) / "logs"
    logs.mkdir(exist_ok=True)
    os.environ.update(env)
    local_env.ensure_airflow_db(env, logs / "airflow-db.log")
    if not os.environ.get("CARTERA_SENDGRID_API_KEY"):
        outdir = Path(env["CARTERA_STATE_DIR"]) / "outbox"
        subprocess.Popen(
            [sys.executable, "-m", "cartera.channels.fake_sendgrid", "--port", "8025", "--outdir", str(outdir)]
        )
        os.environ["CARTERA_SENDGRID_HOST"] = "http://127.0.0.1:8025"
        os.environ["CARTERA_SENDGRID_API_KEY"] = "SG.local-fake-key"
        typer.echo(f"email goes to the local fake SendGrid; messages are written to {outdir}")
    # `airflow standalone` starts its parts (scheduler, API server, DAG processor, triggerer) as
    # `airflow ...` from PATH: this virtualenv's bin must come first, or they all fail to start.
    venv_bin = str(Path(sys.executable).parent)
    os.environ["PATH"] = os.pathsep.join([venv_bin, *(p for p in os.environ.get("PATH", "").split(os.pathsep) if p)])
    passwords = local_env.airflow_passwords_file(env)
    airflow_env = local_env.write_airflow_env(env)
    if airflow_env is not None:
        typer.echo(f"the airflow CLI in another shell: source {airflow_env}")
    typer.echo(
        f"Airflow and the dashboard: http://localhost:8080/ (dashboard at /cartera/); users {local_env.LOCAL_USERS}, "
        f"passwords in {passwords} once the API server has started; DAGs start paused: "
        "`airflow dags unpause <dag_id>` or the toggle in the UI"
    )
    airflow_exe = str(Path(venv_bin) / "airflow")
    os.execve(airflow_exe, [airflow_exe, "standalone"], dict(os.environ))


@app.command("fake-sendgrid")
def fake_sendgrid(
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8025, outdir: Path = Path(".cartera/outbox")
) -> None:
    """Run the local fake SendGrid server in the foreground (for `make up`)."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "cartera.channels.fake_sendgrid", "--port", str(port), "--outdir", str(outdir)],
        check=True,
    )


def main() -> None:
    """The console script: a refused input is a one-line message and exit status 2, a failed
    environment or anything unexpected a one-line message and status 1; never a traceback unless
    CARTERA_DEBUG=1 (see cartera.cli_guard). The command group reports its commands' failures;
    this catches what fails around them."""
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        raise SystemExit(report_and_exit_code(exc)) from None


if __name__ == "__main__":
    main()
