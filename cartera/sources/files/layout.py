"""The layout of an export: where its header row is (under any title lines), which column holds
each of our fields (the mapping first, then header detection), how customers are identified,
and which rows are the body (blank lines, repeated headers and total rows set aside).

Used by :mod:`cartera.sources.files.reader`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cartera.errors import BadInputError
from cartera.sources.files.header_synonyms import REQUIRED
from cartera.sources.files.header_words import normalise
from cartera.sources.files.headers import Detection, detect_columns, recognised
from cartera.sources.files.mapping import FileMapping
from cartera.sources.files.records import file_name

TOTAL_ROW = re.compile(r"^(sub ?)?total(es)?\b|^gran total|^suma\b|^grand total", re.IGNORECASE)


def find_header(path: Path, rows: list[tuple[int, list[Any]]], settings: FileMapping) -> tuple[int, list[str]]:
    """The header row: among the first 30 rows, the one holding the most of the mapping's columns,
    then of the headers we recognise (an export may start with a title and a date)."""
    wanted = {normalise(v) for v in settings.columns.values()}
    best, best_score = None, (0, 0)
    for position, (_, cells) in enumerate(rows[:30]):
        names = {normalise(c) for c in cells if isinstance(c, str) and c}
        score = (len(wanted & names), recognised(c for c in cells if isinstance(c, str)))
        if score > best_score:
            best, best_score = position, score
    if wanted and best_score[0] < len(wanted):
        cells = rows[best][1] if best is not None else []
        found = {normalise(c) for c in cells if isinstance(c, str)}
        missing = sorted(v for v in settings.columns.values() if normalise(v) not in found)
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
    return best, [printable(str(c)) for c in rows[best][1]]


def printable(header: str) -> str:
    """A header as it may be shown in a reason or an error: control characters escaped."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in header)


def map_columns(path: Path, header: list[str], settings: FileMapping) -> tuple[dict[str, str], Detection]:
    present = {normalise(h): h for h in header if h}
    detection = detect_columns(header, settings.columns)
    columns = {f: c.column for f, c in detection.chosen.items()}
    # A file with only an RFC identifies customers by it.
    if "customer_id" not in columns and "customer_id" not in settings.columns and "rfc" in columns:
        columns["customer_id"] = columns["rfc"]
    for name, column in settings.columns.items():
        actual = present.get(normalise(column))
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
    missing = [f for f in REQUIRED if f not in columns]
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


def customer_identity(
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


def body_rows(
    rows: list[tuple[int, list[Any]]], header: list[str], columns: dict[str, str], index: dict[str, int]
) -> tuple[list[tuple[int, list[Any]]], dict[str, list[int]]]:
    """Data rows, with blank lines, repeated headers and total rows set aside.

    A total row is one whose invoice-number cell says "Total…", or is empty while the row has a
    "Total…" label in its first cells or any figure. A row with an invoice number is never a total:
    a customer may be called "Total Play"."""
    normal_header = [normalise(h) for h in header]
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
            and normalise(cells[number_at]) == normal_header[number_at]
            and [normalise(c) for c in cells[: len(header)]] == normal_header
        ):
            skipped.setdefault("repeated header rows", []).append(number)
        elif (isinstance(number_cell, str) and TOTAL_ROW.match(number_cell)) or (
            number_cell in ("", None)
            and (
                any(isinstance(c, str) and TOTAL_ROW.match(c) for c in cells[:3])
                or any(isinstance(c, int | float) or (isinstance(c, str) and re.search(r"\d", c)) for c in filled)
            )
        ):
            skipped.setdefault("total rows", []).append(number)
        else:
            body.append((number, cells))
    return body, skipped
