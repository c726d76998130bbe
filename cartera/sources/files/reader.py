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
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cartera.errors import BadInputError, CarteraError
from cartera.sources.files import headers as hdr
from cartera.sources.files import limits
from cartera.sources.files.columns import ColumnReport, column_report, sample
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
_TOTAL_ROW = re.compile(r"^(sub ?)?total(es)?\b|^gran total|^suma\b|^grand total", re.IGNORECASE)


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
    header_at, header = _header(path, rows, settings)
    columns, detection = _columns(path, header, settings)
    index = {name: position for position, name in enumerate(header)}
    body, skipped = _body(rows[header_at + 1 :], header, columns, index)

    def cell(values: Sequence[Any], name: str) -> Any:
        column = columns.get(name)
        if column is None:
            return None
        position = index[column]
        return values[position] if position < len(values) else None

    rejects: list[Reject] = []
    body = _clean_rows(body, header, columns, cell, rejects)
    columns, identity_note = _customer_identity(columns, settings, body, cell)
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
        _, header = _header(path, exc.rows_before, settings)
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


def _header(path: Path, rows: list[tuple[int, list[Any]]], settings: FileMapping) -> tuple[int, list[str]]:
    """The header row: among the first 30 rows, the one holding the most of the mapping's columns,
    then of the headers we recognise (an export may start with a title and a date)."""
    wanted = {hdr.normalise(v) for v in settings.columns.values()}
    best, best_score = None, (0, 0)
    for position, (_, cells) in enumerate(rows[:30]):
        names = {hdr.normalise(c) for c in cells if isinstance(c, str) and c}
        score = (len(wanted & names), hdr.recognised(c for c in cells if isinstance(c, str)))
        if score > best_score:
            best, best_score = position, score
    if wanted and best_score[0] < len(wanted):
        cells = rows[best][1] if best is not None else []
        found = {hdr.normalise(c) for c in cells if isinstance(c, str)}
        missing = sorted(v for v in settings.columns.values() if hdr.normalise(v) not in found)
        # Show the row only when it reads like a header: a data row may hold names and e-mails,
        # and this message ends up in logs.
        looks_like_header = best is not None and (best_score[0] > 0 or best_score[1] >= 2)
        where = (
            f"its header row (row {rows[best][0]}) has {[c for c in cells if c not in ('', None)]}"
            if looks_like_header and best is not None
            else "no row among the first 30 reads like a header"
        )
        raise BadInputError(
            f"the mapping names columns {missing} that are not in the file; {where}", file=file_name(path)
        )
    if best is None or (best_score[0] == 0 and best_score[1] < 2):
        raise BadInputError(
            "no header row found: none of the first 30 rows names the columns (invoice, customer, date, "
            "amount…); add a `columns:` mapping",
            file=file_name(path),
        )
    return best, [_printable(str(c)) for c in rows[best][1]]


def _printable(header: str) -> str:
    """A header as it may be shown in a reason or an error: control characters escaped."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in header)


def _columns(path: Path, header: list[str], settings: FileMapping) -> tuple[dict[str, str], hdr.Detection]:
    present = {hdr.normalise(h): h for h in header if h}
    detection = hdr.detect_columns(header, settings.columns)
    columns = {f: c.column for f, c in detection.chosen.items()}
    # A file with only an RFC identifies customers by it.
    if "customer_id" not in columns and "customer_id" not in settings.columns and "rfc" in columns:
        columns["customer_id"] = columns["rfc"]
    for name, column in settings.columns.items():
        actual = present.get(hdr.normalise(column))
        if actual is None:
            raise BadInputError(
                f"the mapping names column {column!r} for {name}, but the file has only {sorted(h for h in header if h)}",
                file=file_name(path),
                field=name,
            )
        columns[name] = actual
    # A column the mapping gives to one field is not also detected as another.
    mapped = {columns[name] for name in settings.columns}
    for name in [n for n, c in columns.items() if c in mapped and n not in settings.columns]:
        if not (name == "customer_id" and columns.get("rfc") == columns[name]):
            del columns[name]
    missing = [f for f in hdr.REQUIRED if f not in columns]
    if "due_date" not in columns and "credit_terms_days" not in columns:
        missing.append("due_date")
    if missing:
        raise BadInputError(
            f"required columns not found: {missing} (a due date, or credit terms in days to compute it). "
            f"The file's columns are {sorted(h for h in header if h)}; name them in the mapping's `columns:`",
            file=file_name(path),
            field=missing[0],
        )
    for name, column in columns.items():
        positions = [str(i + 1) for i, h in enumerate(header) if h == column]
        if len(positions) > 1:
            raise BadInputError(
                f"the column {column!r} appears {len(positions)} times (columns {', '.join(positions)}): which one "
                "holds the data cannot be told; rename the others",
                file=file_name(path),
                field=name,
            )
    return columns, detection


def _customer_identity(
    columns: dict[str, str], settings: FileMapping, body: list[tuple[int, list[Any]]], cell: Any
) -> tuple[dict[str, str], str | None]:
    """Mexican reports often head the customer's *name* 'Cliente'. When the detected customer column
    holds names (most values with a space) and the file has an RFC, the RFC identifies the customer
    and the column becomes the name. A mapping that says which is which is never second-guessed."""
    column = columns.get("customer_id")
    if column is None or "customer_id" in settings.columns or "customer_name" in columns:
        return columns, None
    values = [str(v) for _, row in body[:200] if (v := cell(row, "customer_id")) not in ("", None)]
    if not values or sum(" " in v.strip() for v in values) <= len(values) / 2:
        return columns, None
    updated = {**columns, "customer_name": column}
    if "rfc" in columns and columns["rfc"] != column:
        updated["customer_id"] = columns["rfc"]
        return updated, f"column {column!r} holds names: customers are identified by {columns['rfc']!r}"
    return columns, (
        f"column {column!r} looks like customer names: they identify the customers (a name written two ways "
        "is two customers); map a customer code or the RFC as customer_id if the file has one"
    )


def _body(
    rows: list[tuple[int, list[Any]]], header: list[str], columns: dict[str, str], index: dict[str, int]
) -> tuple[list[tuple[int, list[Any]]], dict[str, list[int]]]:
    """Data rows, with blank lines, repeated headers and total rows set aside.

    A total row is one whose invoice-number cell says "Total…", or is empty while the row has a
    "Total…" label in its first cells or any figure. A row with an invoice number is never a total:
    a customer may be called "Total Play"."""
    normal_header = [hdr.normalise(h) for h in header]
    number_at = index[columns["invoice_number"]]
    body: list[tuple[int, list[Any]]] = []
    skipped: dict[str, list[int]] = {}
    for number, cells in rows:
        filled = [c for c in cells if c not in ("", None)]
        number_cell = cells[number_at] if number_at < len(cells) else None
        if not filled:
            skipped.setdefault("blank lines", []).append(number)
        elif (
            number_at < len(cells)
            and isinstance(cells[number_at], str)
            and hdr.normalise(cells[number_at]) == normal_header[number_at]
            and [hdr.normalise(c) for c in cells[: len(header)]] == normal_header
        ):
            skipped.setdefault("repeated header rows", []).append(number)
        elif (isinstance(number_cell, str) and _TOTAL_ROW.match(number_cell)) or (
            number_cell in ("", None)
            and (
                any(isinstance(c, str) and _TOTAL_ROW.match(c) for c in cells[:3])
                or any(isinstance(c, int | float) or (isinstance(c, str) and re.search(r"\d", c)) for c in filled)
            )
        ):
            skipped.setdefault("total rows", []).append(number)
        else:
            body.append((number, cells))
    return body, skipped
