"""Any table of the dashboard as an Excel workbook: the same rows the page shows, numbers as
numbers (money with two decimals), dates as dates, instants in the books' zone (Excel has no
time zones: the sheet says which). Below the rows, the filters the rows honour and, where a
filter could not apply, that it did not (a sheet travels without the page around it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from cartera.dashboard.i18n import word
from cartera.dashboard.tables import Filters, Table
from cartera.run_dates import BOOKS_TZ

_FORMATS = {
    "money": "#,##0.00",
    "num": "#,##0.00",
    "days": "#,##0.00",
    "int": "#,##0",
    "pct": "0.0",
    "rate": "0.0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}


def _cell(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(BOOKS_TZ).replace(tzinfo=None)
    if isinstance(value, list | dict):
        return str(value)
    return value


def _filter_lines(table: Table, filters: Filters, lang: str) -> list[str]:
    chosen = {k: v for k, v in filters.query().items() if k not in ("q", "customer", "invoice")}
    lines = []
    if chosen:
        label = "Filtros" if lang == "es" else "Filters"
        lines.append(f"{label}: " + ", ".join(f"{k}={v}" for k, v in chosen.items()))
    not_filtered = [n.removeprefix("not_filtered:") for n in table.notes if n.startswith("not_filtered:")]
    if not_filtered:
        lines.append(word("not_filtered", lang) + " (" + ", ".join(not_filtered) + ")")
    return lines


def to_xlsx(table: Table, lang: str, filters: Filters | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.key[:31]
    sheet.append([word(c.label, lang) for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_cell(row.get(c.key)) for c in table.columns])
    for index, column in enumerate(table.columns, start=1):
        number_format = _FORMATS.get(column.kind)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    sheet.freeze_panes = "A2"
    note = "Horas en America/Mexico_City" if lang == "es" else "Times in America/Mexico_City"
    sheet.cell(row=sheet.max_row + 2, column=1, value=note)
    for line in _filter_lines(table, filters, lang) if filters is not None else []:
        sheet.cell(row=sheet.max_row + 1, column=1, value=line)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
