"""Rows of an invoice export turned into records: each cell read into our types, the bounds and
the control characters checked, repeats of an invoice split off, and the whole-file decisions a
reader takes from the rows (day/month order, decimal mark, currency, country).

Used by :mod:`cartera.sources.files.reader`, which finds the header and the body rows first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cartera.errors import BadInputError
from cartera.sources.files import limits
from cartera.sources.files.invoice_keys import invoice_key
from cartera.sources.files.limits import display_name
from cartera.sources.files.mapping import FileMapping
from cartera.sources.files.values import (
    ValueProblem,
    currency_mark,
    date_order_evidence,
    decimal_evidence,
    parse_amount,
    parse_country,
    parse_date,
    parse_flag,
    parse_int,
)
from expectations.reference import KNOWN_CURRENCIES

DATE_FIELDS = ("issue_date", "due_date", "paid_date", "dispute_opened_date")
AMOUNT_FIELDS = ("amount", "amount_mxn", "paid_amount")
# Customers are tagged with this country when neither the file nor the command says otherwise
# (cartera is for Mexican books); the dry run says so and the import records it.
DEFAULT_COUNTRY = "MX"
CANCELLED = {"cancelada", "cancelado", "cancelled", "canceled", "void", "anulada", "anulado"}


@dataclass(frozen=True)
class Reject:
    """One row of the file that is not imported, and why. `row` is the file's own row number (1-based,
    as a spreadsheet shows it); `reason` names the file's column but never a value (values may be
    personal data); `record` is the row as the file has it; `key` its invoice number, when it has one;
    `entity` the raw entity the row was to land in (the gate may reject a file row's customer or
    payment, not only its invoice)."""

    row: int
    field: str
    rule: str
    reason: str
    record: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    key: str | None = None
    entity: str = "invoices"


def file_name(path: Path) -> str:
    return display_name(path.name)


def row_ranges(numbers: list[int]) -> str:
    parts: list[str] = []
    for n in sorted(numbers):
        if parts and parts[-1].split("-")[-1] == str(n - 1):
            parts[-1] = f"{parts[-1].split('-')[0]}-{n}"
        else:
            parts.append(str(n))
    return ", ".join(parts)


# --- deciding file-wide conventions ---------------------------------------------------------


def date_order_of(
    path: Path, body: list[tuple[int, list[Any]]], columns: dict[str, str], cell: Any
) -> tuple[str | None, list[str]]:
    """'dmy' or 'mdy' from the cells that tell (23/04 or 04/23), and a note for each date column that
    shows no order of its own but takes the one another column shows (an export writes its dates one
    way). BadInputError if the cells disagree, or if slashed dates exist and none tells (03/04/2025
    could be either: the mapping must say)."""
    told: dict[str, tuple[int, str]] = {}
    own: set[str] = set()
    ambiguous: dict[str, int] = {}
    for number, values in body:
        for name in DATE_FIELDS:
            value = cell(values, name)
            order = date_order_evidence(value)
            if order:
                told.setdefault(order, (number, name))
                own.add(name)
            elif (
                name not in ambiguous
                and isinstance(value, str)
                and re.fullmatch(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}.*", value)
            ):
                ambiguous[name] = number
    if len(told) == 2:
        raise BadInputError(
            f"the dates mix day-first (row {told['dmy'][0]}) and month-first (row {told['mdy'][0]}) orders: set "
            "`date_format:` in the mapping (rows that do not fit it are quarantined)",
            file=file_name(path),
        )
    if told:
        order, (row, name) = next(iter(told.items()))
        notes = [
            f"dates in {columns.get(other, other)!r} are all like 03/04/2025 (day and month both 12 or less): read "
            f"{'day-first' if order == 'dmy' else 'month-first'} as {columns.get(name, name)!r} row {row} shows; "
            "set `date_format:` in the mapping if that column is written otherwise"
            for other in DATE_FIELDS
            if other in ambiguous and other not in own
        ]
        return order, notes
    if ambiguous:
        name, number = min(ambiguous.items(), key=lambda item: item[1])
        raise BadInputError(
            "dates like 03/04/2025 could be day-first or month-first and no date in the file tells which: set "
            "`date_format: dd/mm/yyyy` (or mm/dd/yyyy) in the mapping",
            file=file_name(path),
            row=number,
            field=columns.get(name, name),
        )
    return None, []


def check_currency(
    path: Path, body: list[tuple[int, list[Any]]], columns: dict[str, str], settings: FileMapping, cell: Any
) -> None:
    """A file without a currency column is read only when the command or the mapping names the
    currency, or every amount carries its own code (US$ 20, 1.234,56 MXN); otherwise nothing is read
    and the error says how to name it (rejecting every row one by one would tell nobody why)."""
    if "currency" in columns or settings.currency:
        return
    amounts = [a for _, values in body if (a := cell(values, "amount")) not in ("", None)]
    if all(isinstance(a, str) and currency_mark(a) for a in amounts):
        return
    raise BadInputError(
        "the file has no currency column and its amounts carry no currency code, so which currency they are in "
        "cannot be told; nothing was read. Name it: `--currency MXN` (cartera import, cartera backtest --file) or "
        "`currency: MXN` in the mapping (with the file's currency code)",
        file=file_name(path),
        field="currency",
    )


def fallback_country(path: Path, settings: FileMapping) -> tuple[str, bool]:
    """The country of customers whose row names none: the command's or the mapping's (True), or the
    default (False: the reader says so in the warnings, and the import records it)."""
    if settings.country is None:
        return DEFAULT_COUNTRY, False
    try:
        return parse_country(settings.country), True
    except ValueProblem as exc:
        raise BadInputError(f"--country / `country:` {exc}", file=file_name(path), field="country") from exc


def parsed_share(rows: list[tuple[int, list[Any]]], cell: Any, date_order: str | None, decimal: str | None) -> Any:
    """A function giving, for a field, the share of the sampled non-empty values that read as it
    (dates, amounts, countries) and how many were sampled; (None, 0) for other fields."""
    readers: dict[str, Any] = {
        **{name: lambda v: parse_date(v, date_order) for name in DATE_FIELDS},
        **{name: lambda v: parse_amount(v, decimal) for name in AMOUNT_FIELDS},
        "country": parse_country,
    }

    def share(field: str) -> tuple[float | None, int]:
        read = readers.get(field)
        values = [v for _, row in rows if text_of(v := cell(row, field))] if read else []
        if read is None or not values:
            return None, 0
        good = 0
        for value in values:
            try:
                read(value)
                good += 1
            except (ValueProblem, OverflowError):
                pass
        return round(good / len(values), 2), len(values)

    return share


def decimal_mark(path: Path, body: list[tuple[int, list[Any]]], columns: dict[str, str], cell: Any) -> str | None:
    texts = [v for _, values in body for name in AMOUNT_FIELDS if isinstance(v := cell(values, name), str) and v]
    try:
        return decimal_evidence(texts)
    except ValueProblem as exc:
        raise BadInputError(
            f"{exc}: set `decimal:` in the mapping", file=file_name(path), field=columns["amount"]
        ) from exc


# --- one row --------------------------------------------------------------------------------


def read_record(
    values: Sequence[Any],
    cell: Any,
    date_order: str | None,
    decimal: str | None,
    settings: FileMapping,
    country: str,
) -> tuple[dict[str, Any], tuple[str, str] | None]:
    """The canonical record of one row, or the first (field, problem) that stops it."""
    record: dict[str, Any] = {}
    try:
        for name in ("invoice_number", "customer_id"):
            value = cell(values, name)
            text = text_of(value)
            if not text:
                return record, (name, "missing")
            record[name] = text
        record["invoice_id"] = invoice_key(record["invoice_number"], settings.invoice_numbers)
        record["customer_name"] = text_of(cell(values, "customer_name")) or None
        record["rfc"] = (text_of(cell(values, "rfc")) or "").upper() or None
        current = "issue_date"
        record["issue_date"] = parse_date(cell(values, "issue_date"), date_order)
        current = "credit_terms_days"
        terms = cell(values, "credit_terms_days")
        record["credit_terms_days"] = parse_int(terms) if text_of(terms) else None
        if record["credit_terms_days"] is not None and record["credit_terms_days"] > limits.MAX_TERM_DAYS:
            return record, ("credit_terms_days", f"more than {limits.MAX_TERM_DAYS} days: check the value")
        current = "due_date"
        due = cell(values, "due_date")
        if text_of(due):
            record["due_date"] = parse_date(due, date_order)
        elif record["credit_terms_days"] is not None:
            record["due_date"] = record["issue_date"] + dt.timedelta(days=record["credit_terms_days"])
        else:
            return record, ("due_date", "missing (and no credit terms to compute it)")
        current = "amount"
        raw_amount = cell(values, "amount")
        record["amount"] = parse_amount(raw_amount, decimal)
        current = "currency"
        currency = (text_of(cell(values, "currency")) or "").upper()
        mark = currency_mark(str(raw_amount)) if isinstance(raw_amount, str) else None
        if currency in ("$", "MN", "M.N.", "PESOS", "PESO"):
            currency = "MXN"
        elif currency in ("US$", "DLS", "DOLARES", "DÓLARES", "DOLLARS"):
            currency = "USD"
        record["currency"] = currency or mark or (settings.currency or "").upper() or None
        if record["currency"] is None:
            return record, (
                "currency",
                "missing: pass --currency (e.g. --currency MXN) or set `currency:` in the mapping",
            )
        if mark and currency and mark != currency:
            return record, ("currency", f"the amount is marked {mark} but the currency column says {currency}")
        if record["currency"] not in KNOWN_CURRENCIES:
            return record, ("currency", f"unknown currency code; expected one of {', '.join(KNOWN_CURRENCIES)}")
        if record["amount"] < 0:
            return record, ("amount", "negative (a credit note is not an invoice)")
        if record["due_date"] < record["issue_date"]:
            return record, ("due_date", "before the invoice date")
        current = "amount_mxn"
        in_pesos = cell(values, "amount_mxn")
        record["amount_mxn"] = parse_amount(in_pesos, decimal) if text_of(in_pesos) else None
        current = "paid_amount"
        paid_amount = cell(values, "paid_amount")
        record["paid_amount"] = parse_amount(paid_amount, decimal) if text_of(paid_amount) else None
        current = "paid_date"
        paid = cell(values, "paid_date")
        record["payment_date"] = parse_date(paid, date_order) if text_of(paid) else None
        if record["paid_amount"] is not None and record["paid_amount"] > 0 and record["payment_date"] is None:
            return record, ("paid_date", "missing: a paid amount needs the date it was paid")
        if record["paid_amount"] is not None and record["paid_amount"] > record["amount"]:
            return record, ("paid_amount", "more than the invoice's amount")
        if record["paid_amount"] is not None and record["paid_amount"] < 0:
            return record, ("paid_amount", "negative")
        fully_paid = record["paid_amount"] is None or record["paid_amount"] >= record["amount"]
        record["paid_date"] = record["payment_date"] if fully_paid else None
        if record["payment_date"] is not None and record["payment_date"] < record["issue_date"]:
            return record, ("paid_date", "before the invoice date")
        current = "disputed"
        flag = cell(values, "disputed")
        record["disputed"] = parse_flag(flag) if text_of(flag) else None
        current = "dispute_opened_date"
        opened = cell(values, "dispute_opened_date")
        record["dispute_opened_date"] = parse_date(opened, date_order) if text_of(opened) else None
        current = "country"
        written = cell(values, "country")
        record["_country_assumed"] = not text_of(written)
        record["country"] = parse_country(written) if text_of(written) else country
        status = (text_of(cell(values, "status")) or "").lower()
        record["status"] = "cancelled" if status in CANCELLED else "posted"
    except ValueProblem as exc:
        return record, (current, str(exc))
    except OverflowError:
        return record, (current, "a date beyond the calendar: check the year")
    return record, None


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def split_duplicates(
    records: list[dict[str, Any]], columns: dict[str, str]
) -> tuple[list[dict[str, Any]], list[Reject], list[int]]:
    """Same invoice number twice: identical rows keep the first (the others are returned, to be
    listed as skipped); rows that differ are all quarantined (which one is right is for a person to say)."""
    by_number: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_number.setdefault(record["invoice_id"], []).append(record)
    keep: list[dict[str, Any]] = []
    rejects: list[Reject] = []
    repeated: list[int] = []
    # What was paid counts too: an export with one row per payment must not lose all but the first.
    compared = ("customer_id", "issue_date", "due_date", "amount", "currency", "paid_amount", "payment_date")
    column_of = {**{name: columns.get(name, name) for name in compared}, "payment_date": columns.get("paid_date", "")}
    for group in by_number.values():
        if len(group) == 1:
            keep.append(group[0])
            continue
        signatures = {tuple(r[c] for c in compared) for r in group}
        if len(signatures) == 1:
            keep.append(group[0])
            repeated += [r["source_row"] for r in group[1:]]
            continue
        rows = ", ".join(str(r["source_row"]) for r in group)
        differing = [column_of[c] for c in compared if len({r[c] for r in group}) > 1]
        same = (
            "the same invoice number"
            if len({r["invoice_number"] for r in group}) == 1
            else "invoice numbers that are the same once leading zeros, case and spaces are set aside"
        )
        hint = (
            ""
            if same == "the same invoice number"
            else "; if they are different invoices, set `invoice_numbers: exact` in the mapping"
        )
        for record in group:
            rejects.append(
                Reject(
                    record["source_row"],
                    "invoice_number",
                    "file_duplicate_invoice_number",
                    f"{columns['invoice_number']}: {same} is on rows {rows} with different "
                    f"{', '.join(differing)}{hint}",
                    record["_original"],
                    record["invoice_number"],
                )
            )
    keep.sort(key=lambda r: r["source_row"])
    return keep, rejects, sorted(repeated)
