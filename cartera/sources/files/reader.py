"""Read an invoice export (CSV or .xlsx) into canonical rows, without a database.

:func:`read_invoice_file` is pure: it reads the file, finds the header row (under any title lines),
maps the columns (the mapping file first, then header detection), skips blank lines, repeated
headers and total rows (listed in the warnings, never silently), reads every value, and returns
the good invoices as a pandas frame plus one :class:`Reject` per bad cell or row, each naming the
file's own row number and the field. What cannot be decided for the whole file (no required
column, dates whose day/month order nothing in the file tells) raises BadInputError instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cartera.errors import BadInputError, CarteraError
from cartera.sources.files import limits
from cartera.sources.files.columns import ColumnReport, column_report, sample
from cartera.sources.files.layout import body_rows, customer_identity, find_header, map_columns
from cartera.sources.files.limits import control_character
from cartera.sources.files.mapping import FileMapping, load_mapping
from cartera.sources.files.records import (
    DATE_FIELDS,
    Reject,
    check_currency,
    date_order_of,
    decimal_mark,
    fallback_country,
    file_name,
    parsed_share,
    read_record,
    row_ranges,
    split_duplicates,
    text_of,
)
from cartera.sources.files.rows import CsvStructureError, read_rows

if TYPE_CHECKING:
    import pandas as pd

# The columns of ParsedFile.invoices (what the backtest and the loader read).
INVOICE_COLUMNS = (
    "invoice_id",
    "invoice_number",
    "customer_id",
    "customer_name",
    "rfc",
    "issue_date",
    "due_date",
    "currency",
    "amount",
    "amount_mxn",
    "paid_amount",
    "payment_date",
    "paid_date",
    "credit_terms_days",
    "disputed",
    "dispute_opened_date",
    "status",
    "country",
    "source_row",
)
FRAME_DATES = (*DATE_FIELDS, "payment_date")


@dataclass(frozen=True)
class ParsedFile:
    """What a file holds, in our terms. `invoices` has INVOICE_COLUMNS, one row per good invoice;
    `mapping` is {our field: the file's header} as used; `skipped` is {why: file rows}; `columns`
    what was done with every column and why; `country_assumed` the default country customers were
    tagged with when the file has no country and none was given (None otherwise)."""

    path: Path
    sha256: str
    invoices: pd.DataFrame
    rejects: tuple[Reject, ...]
    mapping: dict[str, str]
    date_order: str | None
    decimal: str | None
    skipped: dict[str, list[int]]
    warnings: tuple[str, ...]
    rows_read: int
    source: str = "file"
    columns: ColumnReport | None = None
    country_assumed: str | None = None


def read_invoice_file(
    path: Path | str, mapping: FileMapping | Path | str | None = None, *, as_of: dt.date | None = None
) -> ParsedFile:
    """Read `path` (.csv, .txt, .xlsx or .xlsm) with `mapping` (a FileMapping, a YAML path, or None
    for detection alone). Pure: no database, no clock; the same bytes, mapping and `as_of` give the
    same result. `as_of` (the import's date) bounds issue, payment and dispute dates to a year after
    it; without it they are bounded by limits.LATEST_DATE.

    Returns a ParsedFile whose `invoices` frame has INVOICE_COLUMNS, one row per good invoice, in file
    order: ids, `currency` and `status` ('posted' or 'cancelled') as `str`; `customer_name` and `rfc`
    text or None; `issue_date`, `due_date`, `payment_date` (the date of a payment, even partial),
    `paid_date` (set only when the invoice is fully paid) and `dispute_opened_date` as datetime64[ns]
    (NaT when absent); `amount`, `amount_mxn`, `paid_amount` as `Decimal` (None when absent);
    `credit_terms_days` int or None; `disputed` nullable boolean (<NA> without a dispute column; the
    warnings say when it has no known date); `source_row` the file's row number. Bad rows are in
    `rejects` (file row, field, rule, reason naming the file's column, never a value): unreadable
    values, amounts beyond numeric(18, 2), dates out of range, cells holding NUL, control characters
    or bytes that are not UTF-8. Skipped blank, repeated-header and total rows and exact repeats of an
    invoice are in `skipped` and `warnings`. Every data row is accounted for: `rows_read` = invoices +
    rejected rows + skipped rows.

    Raises BadInputError (naming the file, and the row and column when there is one) for what stops
    the whole file, which then loads nothing: unreadable or undecodable bytes, a quote left open or
    closed early, a workbook beyond the limits of :mod:`limits` or holding an XML DTD, no header row,
    a required column missing or appearing twice, a mapping naming absent columns, dates whose
    day/month order the file does not tell (or tells both ways) without `date_format:`, amounts mixing
    decimal commas and points without `decimal:`. Anything else going wrong is raised as a
    BadInputError too (never a traceback holding the file's values)."""
    path = Path(path)
    try:
        return _read(path, mapping, as_of)
    except CarteraError:
        raise
    except (Exception, MemoryError, RecursionError) as exc:  # noqa: BLE001 - see the docstring
        raise BadInputError(
            f"the file could not be read ({type(exc).__name__}) and nothing was loaded; this is a defect in "
            "cartera's reader: report it with the file",
            file=file_name(path),
        ) from exc


def _read(path: Path, mapping: FileMapping | Path | str | None, as_of: dt.date | None) -> ParsedFile:
    import pandas as pd

    settings = mapping if isinstance(mapping, FileMapping) else load_mapping(mapping)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise BadInputError(
            f"cannot read the file: {exc.strerror or type(exc).__name__}", file=file_name(path)
        ) from exc
    try:
        read = read_rows(file_name(path), path.suffix.lower(), content, settings)
    except CsvStructureError as exc:
        raise _structure_error(path, exc, settings) from None
    rows = read.rows
    warnings: list[str] = [read.evidence] if read.evidence else []
    header_at, header = find_header(path, rows, settings)
    columns, detection = map_columns(path, header, settings)
    index = {name: position for position, name in enumerate(header)}
    body, skipped = body_rows(rows[header_at + 1 :], header, columns, index)

    def cell(values: Sequence[Any], name: str) -> Any:
        column = columns.get(name)
        if column is None:
            return None
        position = index[column]
        return values[position] if position < len(values) else None

    rejects: list[Reject] = []
    body = _clean_rows(body, header, columns, cell, rejects)
    columns, identity_note = customer_identity(columns, settings, body, cell)
    if identity_note:
        warnings.append(identity_note)
    date_order = settings.date_format
    if date_order is None:
        date_order, notes = date_order_of(path, body, columns, cell)
        warnings.extend(notes)
    decimal = settings.decimal or decimal_mark(path, body, columns, cell)
    check_currency(path, body, columns, settings, cell)
    country, country_given = fallback_country(path, settings)
    latest = min(as_of + limits.AHEAD_OF_IMPORT, limits.LATEST_DATE) if as_of else limits.LATEST_DATE
    records: list[dict[str, Any]] = []
    for number, values in body:
        original = {header[i]: v for i, v in enumerate(values) if i < len(header) and header[i]}
        record, problem = read_record(values, cell, date_order, decimal, settings, country)
        if problem is None:
            problem = _out_of_range(record, latest)
        if problem is not None:
            name, message = problem
            reason = f"{columns.get(name, name)}: {message}"
            key = text_of(cell(values, "invoice_number")) or None
            rejects.append(Reject(number, name, f"file_{name}", reason, original, key))
            continue
        record["source_row"] = number
        record["_original"] = original
        records.append(record)
    assumed = [r["source_row"] for r in records if r.pop("_country_assumed") and not country_given]
    country_assumed = country if assumed else None
    if assumed and "country" not in columns:
        warnings.append(
            f"the file has no country column and no --country was given: every customer is tagged with the "
            f"default country {country}; pass --country (e.g. --country US) or set `country:` in the mapping if "
            "they are elsewhere, or add a country column"
        )
    elif assumed:
        warnings.append(
            f"{len(assumed)} rows have no {columns['country']!r}: their customers are tagged with the default country "
            f"{country} (rows {row_ranges(assumed)}); pass --country or set `country:` in the mapping to choose another"
        )
    records, duplicate_rejects, repeated = split_duplicates(records, columns)
    rejects.extend(duplicate_rejects)
    if repeated:
        skipped["exact repeats of an invoice"] = repeated
    for why, numbers in skipped.items():
        warnings.append(f"skipped {len(numbers)} {why} (rows {row_ranges(numbers)})")
    if "paid_date" not in columns and "paid_amount" not in columns:
        warnings.append("the file has no paid date: every invoice is taken as open (a backtest needs paid dates)")
    if "disputed" in columns and "dispute_opened_date" not in columns:
        warnings.append(
            "the dispute flag has no date it became known: the backtest leaves it out (a flag read today may "
            "not have been known when the invoice was issued), and an import records those disputes as opened "
            "on the import day, when cartera learned of them; add a dispute date column to use the real dates"
        )
    report = column_report(
        header, columns, settings.columns, detection, parsed_share(sample(body), cell, date_order, decimal)
    )
    warnings.extend(report.notes())
    frame = pd.DataFrame.from_records(
        [{k: r.get(k) for k in INVOICE_COLUMNS} for r in records], columns=list(INVOICE_COLUMNS)
    )
    for name in FRAME_DATES:
        frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ns]")
    frame["disputed"] = frame["disputed"].astype("boolean")
    return ParsedFile(
        path=path,
        sha256=hashlib.sha256(content).hexdigest(),
        invoices=frame,
        rejects=tuple(sorted(rejects, key=lambda r: (r.row, r.field))),
        mapping=dict(columns),
        date_order=date_order,
        decimal=decimal,
        skipped=skipped,
        warnings=tuple(warnings),
        rows_read=len(rows) - header_at - 1,
        source=settings.source,
        columns=report,
        country_assumed=country_assumed,
    )


def _structure_error(path: Path, exc: CsvStructureError, settings: FileMapping) -> BadInputError:
    """The CSV quoting error, naming the column by the header when the rows before it have one."""
    column = f"column {exc.column + 1}"
    try:
        _, header = find_header(path, exc.rows_before, settings)
        if exc.column < len(header) and header[exc.column]:
            column = header[exc.column]
    except BadInputError:
        pass
    return BadInputError(
        f'{exc.problem}; nothing was loaded: fix the quoting (a quote inside a value is written twice, "")',
        file=file_name(path),
        row=exc.row,
        field=column,
    )


def _clean_rows(
    body: list[tuple[int, list[Any]]], header: list[str], columns: dict[str, str], cell: Any, rejects: list[Reject]
) -> list[tuple[int, list[Any]]]:
    """The rows whose cells hold no NUL, control character or undecodable byte; the others are
    rejected naming the column (line breaks and tabs are allowed only in columns not imported)."""
    field_of = {column: name for name, column in columns.items()}
    clean = []
    for number, values in body:
        problem = None
        for position, value in enumerate(values):
            if not isinstance(value, str) or not value:
                continue
            column = header[position] if position < len(header) and header[position] else f"column {position + 1}"
            kind = control_character(value, line_breaks_allowed=column not in field_of)
            if kind is not None:
                problem = (field_of.get(column, column), column, kind)
                break
        if problem is None:
            clean.append((number, values))
            continue
        name, column, kind = problem
        original = {header[i]: v for i, v in enumerate(values) if i < len(header) and header[i]}
        rule = "file_encoding" if kind == "bytes that are not UTF-8" else "file_control_character"
        key = text_of(cell(values, "invoice_number")) or None
        if key is not None and control_character(key, line_breaks_allowed=False):
            key = None
        rejects.append(
            Reject(number, name, rule, f"{column}: holds {kind}; the row may be corrupted, check it", original, key)
        )
    return clean


def _out_of_range(record: dict[str, Any], latest: dt.date) -> tuple[str, str] | None:
    """The first date outside its sane range, as (field, problem)."""
    issue = record["issue_date"]
    for name, value in (
        ("issue_date", issue),
        ("paid_date", record.get("payment_date")),
        ("dispute_opened_date", record.get("dispute_opened_date")),
    ):
        if value is not None and not limits.EARLIEST_DATE <= value <= latest:
            return name, f"outside the accepted range {limits.EARLIEST_DATE} to {latest}: check the year"
    if record["due_date"] > issue + limits.MAX_TERM:
        return "due_date", f"more than {limits.MAX_TERM_DAYS} days after the invoice date: check the year"
    return None


# --- reading rows -------------------------------------------------------------------------
