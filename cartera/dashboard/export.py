"""Any table of the dashboard as an Excel workbook: the same rows the page shows, numbers as
numbers (money with two decimals), dates as dates, instants in the books' zone (Excel has no
time zones: the sheet says which)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from cartera.dashboard.i18n import word
from cartera.dashboard.tables import Table
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


def to_xlsx(table: Table, lang: str) -> bytes:
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
    out = BytesIO()
    book.save(out)
    return out.getvalue()
