"""`cartera anomalies`: evaluate the anomaly detectors on a generated book, run them on the
warehouse for a day, and load SAT's 69-B list (issue #14, docs/anomalies.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cartera.cli_guard import parse_date

anomalies_app = typer.Typer(help="Anomaly and fraud alerts (issue #14).", no_args_is_help=True)


def evaluation_path() -> Path:
    """Where the last evaluation's JSON is kept for the demo report."""
    from cartera.config import get_settings

    return get_settings().state_dir / "anomalies" / "evaluation.json"


@anomalies_app.command("evaluate")
def evaluate(
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures as JSON here")] = None,
    seed: Annotated[int, typer.Option(min=0)] = 7,
    customers: Annotated[int, typer.Option(min=20, max=20_000)] = 500,
    months: Annotated[int, typer.Option(min=6, max=60)] = 24,
    rate: Annotated[float, typer.Option(min=0.0, max=0.2, help="Prevalence of each injected type")] = 0.005,
    as_of: Annotated[str, typer.Option(help="Last day of the generated history (YYYY-MM-DD)")] = "2026-05-31",
) -> None:
    """Generate a book with each anomaly type injected (and a clean one), run the detectors, and
    print precision, recall and injected per type and the false alerts per 1000 invoices."""
    from cartera.anomalies.evaluate import evaluate as run
    from cartera.reporting import anomaly_table

    figures = run(seed=seed, customers=customers, months=months, as_of=parse_date(as_of, "--as-of"), rate=rate)
    text = json.dumps(figures, indent=2, ensure_ascii=False) + "\n"
    for path in [p for p in (json_out, evaluation_path()) if p is not None]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    typer.echo(anomaly_table(figures))


@anomalies_app.command("run")
def run_day(
    as_of: Annotated[str, typer.Option(help="Business date (YYYY-MM-DD)")],
    all_history: Annotated[bool, typer.Option(help="Report facts of any date, not only the last 45 days")] = False,
) -> None:
    """Detect anomalies on the warehouse as of a day and write ops.alerts (no e-mail)."""
    import datetime as dt

    from cartera.anomalies.run import run_anomalies
    from cartera.config import get_settings

    summary = run_anomalies(
        get_settings().warehouse_dsn,
        parse_date(as_of, "--as-of"),
        dt.datetime.now(dt.UTC),
        lookback_days=None if all_history else 45,
    )
    typer.echo(f"{summary.findings} findings: {summary.by_kind}; {summary.invoice_holds} invoice holds")


@anomalies_app.command("load-69b")
def load_69b(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="SAT's Listado completo 69-B CSV")],
    published: Annotated[str | None, typer.Option(help="Publication date when the title has none")] = None,
) -> None:
    """Load SAT's 69-B list into raw.sat_69b (bad rows to quarantine with their reason)."""
    from cartera.config import get_settings
    from cartera.db import connect
    from cartera.sources.sat_69b import load

    with connect(get_settings().warehouse_dsn) as conn:
        result = load(conn, file, list_published=parse_date(published, "--published") if published else None)
    typer.echo(json.dumps(result))
