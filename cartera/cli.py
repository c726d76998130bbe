"""`cartera`: the command line of the collections platform."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Literal

import typer

from cartera.cli_anomalies import anomalies_app
from cartera.cli_batch import batch_app
from cartera.cli_guard import FailClosedGroup, free_text, parse_date, report_and_exit_code
from cartera.cli_outbox import outbox_app
from cartera.cli_simulate import simulate_app

app = typer.Typer(
    cls=FailClosedGroup,
    help="cartera: accounts-receivable collections for Mexico and Latin America.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="The local (embedded) Postgres and the warehouse's own tables.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(outbox_app, name="outbox")
app.add_typer(batch_app, name="batch")
app.add_typer(simulate_app, name="simulate")
app.add_typer(anomalies_app, name="anomalies")


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
    seed: Annotated[int, typer.Option(min=0, max=2**31 - 1)] = 7,
    customers: Annotated[int, typer.Option(min=1, max=1_000_000)] = 500,
    months: Annotated[int, typer.Option(min=1, max=120)] = 24,
    as_of: Annotated[str | None, typer.Option(help="Last day of the history (YYYY-MM-DD); default yesterday")] = None,
    replace: bool = False,
    csv: Annotated[
        Path | None, typer.Option(help="Write the invoices as a flat CSV export here instead (no database)")
    ] = None,
) -> None:
    """Write a synthetic Mexican B2B company into the ERP source schema (or, with --csv, as an invoice export)."""
    day = parse_date(as_of, "--as-of") if as_of is not None else _today() - dt.timedelta(days=1)
    if csv is not None:
        from cartera.sources.generator.company import build_company
        from cartera.sources.generator.export import invoice_export
        from cartera.sources.generator.summary import GenerationParams

        export = invoice_export(
            build_company(GenerationParams(seed=seed, customers=customers, months=months, as_of=day))
        )
        csv.parent.mkdir(parents=True, exist_ok=True)
        export.to_csv(csv, index=False)
        typer.echo(f"{len(export)} invoices written to {csv}")
        return
    from cartera.config import get_settings
    from cartera.sources.generator import generate as run

    settings = get_settings()
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
def backtest(
    file: Annotated[Path | None, typer.Option("--file", help="An invoice export (CSV or Excel)")] = None,
    from_warehouse: Annotated[bool, typer.Option("--from-warehouse", help="Read the warehouse's marts")] = False,
    mapping: Annotated[Path | None, typer.Option(help="Column mapping for --file (YAML)")] = None,
    currency: Annotated[
        str | None, typer.Option(help="Currency of --file's amounts when it has no currency column (e.g. MXN)")
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for report.md, calibration.png, backtest.json")] = Path("backtest"),
    rolling: Annotated[bool, typer.Option(help="Rolling monthly origins instead of one time split")] = False,
    split: Annotated[
        Literal["time", "rolling", "random"], typer.Option(help="random needs --allow-random-split")
    ] = "time",
    allow_random_split: bool = False,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Probability from which an invoice counts as flagged late")
    ] = 0.5,
    include_post_issuance: Annotated[
        list[str] | None, typer.Option(help="Use this post-issuance column even without its known date")
    ] = None,
    post_issuance: Annotated[
        bool, typer.Option(help="Use post-issuance fields that come with their known date (point in time)")
    ] = True,
    cutoff: Annotated[str | None, typer.Option(help="Split date (YYYY-MM-DD); default 75th pct of issue dates")] = None,
    as_of: Annotated[str | None, typer.Option(help="End of the data (YYYY-MM-DD); default its last date")] = None,
    bootstrap: Annotated[int, typer.Option(min=0, max=10_000, help="Bootstrap resamples for the 95 % intervals")] = 500,
) -> None:
    """How well would the late-payment model have predicted these customers? Writes a report."""
    if (file is None) == (not from_warehouse):
        raise typer.BadParameter("give exactly one of --file PATH or --from-warehouse")
    kind: Literal["time", "rolling", "random"] = "rolling" if rolling else split
    # Checked here, before any data is read: ml/ takes dates, not text.
    end = parse_date(as_of, "--as-of") if as_of is not None else None
    split_day = parse_date(cutoff, "--cutoff") if cutoff is not None else None
    if split_day is not None and end is not None and split_day >= end:
        raise typer.BadParameter(
            f"the cutoff {split_day} must be before the end of the data {end}", param_hint="'--cutoff'"
        )
    from ml.backtest import BacktestOptions, run_backtest
    from ml.backtest_input import load_warehouse_input, prepare_input
    from ml.backtest_report import write_report

    allocations = None
    if file is not None:
        from cartera.sources.files.backtest_frame import read_invoice_export
        from cartera.sources.files.mapping import load_mapping, with_options

        settings = with_options(load_mapping(mapping), currency=currency)  # --currency rides on the mapping
        frame, source = read_invoice_export(file, settings), f"file {file.name}"
    else:
        from cartera.config import get_settings

        frame, allocations, end = load_warehouse_input(get_settings().warehouse_dsn, end)
        source = "warehouse marts"
    data = prepare_input(frame, include=include_post_issuance or (), use_dated_fields=post_issuance)
    options = BacktestOptions(
        kind=kind,
        cutoff=split_day,
        as_of=end,
        threshold=threshold,
        n_bootstrap=bootstrap,
        allow_random_split=allow_random_split,
    )
    result = run_backtest(data, options, allocations=allocations, source=source)
    paths = write_report(result, out)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    models = result.figures["models"]
    for name in models:
        auc = models[name]["roc_auc"]
        typer.echo(f"{name}: ROC-AUC {auc['value']} (95% CI {auc['ci95_low']}-{auc['ci95_high']})")
    typer.echo(f"report: {paths['report']}")


def _local_warehouse() -> str:
    """The configured warehouse (CARTERA_DATABASE_URL), or else the embedded Postgres, started or
    reused, with cartera's tables: a person with only an export and no database can import it."""
    import os

    from cartera.db import init_warehouse

    dsn = os.environ.get("CARTERA_DATABASE_URL")
    if not dsn:
        from cartera import local_env

        dsn = local_env.prepare()["CARTERA_DATABASE_URL"]
    init_warehouse(dsn)
    return dsn


_SOURCE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,40}")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="An invoice export: .csv (any separator, UTF-8 or Latin-1) or .xlsx")],
    mapping: Annotated[
        Path | None, typer.Option(help="Column mapping (YAML); see docs/bring_your_own_invoices.md")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Source name in raw.* (default: the mapping's, else 'file')")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read and check only: no database")] = False,
    currency: Annotated[
        str | None,
        typer.Option(
            help="Currency of the amounts when the file has no currency column (e.g. MXN); wins over the mapping's"
        ),
    ] = None,
    country: Annotated[
        str | None,
        typer.Option(help="Customers' country when the file has no country column (e.g. MX); default MX, stated"),
    ] = None,
    max_rejected_share: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Gate threshold: share of rows that may be quarantined (default 5 %)"),
    ] = None,
) -> None:
    """Import invoices (and their paid dates) from an export into the warehouse, through the quality gate."""
    from cartera.sources.files import import_file, read_invoice_file
    from cartera.sources.files.mapping import load_mapping, with_options

    if source is not None and not _SOURCE_NAME.fullmatch(source):
        raise typer.BadParameter("letters, digits, '_', '.' or '-', at most 40", param_hint="'--source'")
    settings = with_options(load_mapping(mapping), currency=currency, country=country)
    if dry_run:
        parsed = read_invoice_file(file, settings)
        typer.echo(f"file {file.name}: {len(parsed.invoices)} invoices readable, {len(parsed.rejects)} rows rejected")
        typer.echo("columns: " + ", ".join(f"{ours} <- {theirs!r}" for ours, theirs in parsed.mapping.items()))
        shown = set(parsed.columns.notes()) if parsed.columns else set()
        for line in parsed.columns.lines() if parsed.columns else []:
            typer.echo(line)
        typer.echo(
            f"dates read as {parsed.date_order or 'ISO / unambiguous'}; decimal separator {parsed.decimal or '.'}"
        )
        for warning in parsed.warnings:
            if warning not in shown:
                typer.echo(f"warning: {warning}")
        for reject in parsed.rejects[:20]:
            typer.echo(f"  row {reject.row}, {reject.reason}")
        if len(parsed.rejects) > 20:
            typer.echo(f"  … and {len(parsed.rejects) - 20} more")
        return
    summary = import_file(_local_warehouse(), file, settings, source=source, max_rejected_share=max_rejected_share)
    if summary.already_imported:
        typer.echo(f"file {file.name}: this exact content was imported before ({summary.load_id}); nothing loaded")
        return
    typer.echo(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
    if summary.quarantined:
        typer.echo(
            f"{summary.quarantined} rows quarantined: see quarantine.rejected_rows (load_id {summary.load_id}), "
            "with the file's row number, the rule and the reason",
            err=True,
        )


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
            f"{when} {d['stage']:<5} {d['channel']:<8} {d['verdict']:<5}{later}  [{d['rule_id']} v{d['rule_pack_version']}] {reason}"
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
    reason: Annotated[
        Literal["dispute", "promise_to_pay", "payment_reported", "legal", "manual"], typer.Option(help="Why")
    ],
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
