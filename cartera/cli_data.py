"""The data commands of `cartera`: generate a synthetic company, import an export, backtest the
late-payment model on a book. Registered on the main app by :mod:`cartera.cli`."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Literal

import typer

from cartera.cli_guard import parse_date
from cartera.run_dates import command_instant


def _today() -> dt.date:
    # The command's entry turns "now" into an explicit date, passed down from here.
    return command_instant().date()


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
        from cartera.synthetic.company import build_company
        from cartera.synthetic.export import invoice_export
        from cartera.synthetic.summary import GenerationParams

        export = invoice_export(
            build_company(GenerationParams(seed=seed, customers=customers, months=months, as_of=day))
        )
        csv.parent.mkdir(parents=True, exist_ok=True)
        export.to_csv(csv, index=False)
        typer.echo(f"{len(export)} invoices written to {csv}")
        return
    from cartera.config import get_settings
    from cartera.synthetic import generate as run

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
    from ml.backtest.inputs import load_warehouse_input, prepare_input
    from ml.backtest.report import write_report
    from ml.backtest.run import BacktestOptions, run_backtest

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
        from cartera.local import env as local_env

        dsn = local_env.prepare()["CARTERA_DATABASE_URL"]
    init_warehouse(dsn)
    return dsn


_SOURCE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,40}")


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
    # The import's instant, read once here: it stamps the rows and bounds their dates to its day.
    imported_at = command_instant()
    if dry_run:
        parsed = read_invoice_file(file, settings, as_of=imported_at.date())
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
    summary = import_file(
        _local_warehouse(),
        file,
        settings,
        imported_at=imported_at,
        source=source,
        max_rejected_share=max_rejected_share,
    )
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
