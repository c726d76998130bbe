"""The rows of an export, as (file row number, cells): CSV strictly, workbooks within limits.

- CSV: decoded with evidence (:mod:`decoding`), read with ``strict=True``. A quote that is never
  closed, or text after a closing quote, stops the file with an error naming the row where the
  quote opened and the field (never half the file read and the rest silently one value). A quoted
  field that runs over several lines is allowed only when its lines do not look like rows of their
  own (a stray quote would otherwise swallow the rows up to the next one).
- Workbooks: checked by :mod:`xlsx_guard`, then streamed by openpyxl in read-only mode with the
  declared dimension ignored, at most MAX_ROWS rows of MAX_COLUMNS cells.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cartera.errors import BadInputError
from cartera.sources.files import limits
from cartera.sources.files.decoding import decode_export
from cartera.sources.files.mapping import FileMapping
from cartera.sources.files.xlsx_guard import check_workbook

Row = tuple[int, list[Any]]
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class CsvStructureError(Exception):
    """A quoting error at `row` (where the record starts), in the `column`-th cell (0-based), with
    the rows read before it (so the caller can name the column by its header)."""

    row: int
    column: int
    problem: str
    rows_before: list[Row] = field(repr=False)


@dataclass(frozen=True)
class FileRows:
    rows: list[Row]
    encoding: str | None
    evidence: str | None


def read_rows(name: str, suffix: str, content: bytes, settings: FileMapping) -> FileRows:
    """Every row of the file (CSV cells are text, workbook cells keep their type). Raises
    BadInputError for a file that cannot be read as a whole, CsvStructureError for bad quoting."""
    if suffix in (".xlsx", ".xlsm"):
        return FileRows(_excel_rows(name, content, settings), None, None)
    if suffix == ".xls":
        raise BadInputError("old .xls workbooks are not supported: save the sheet as .xlsx or CSV", file=name)
    decoded = decode_export(name, content, settings.encoding)
    delimiter = settings.delimiter or _sniff(decoded.text)
    return FileRows(_csv_rows(decoded.text, delimiter), decoded.encoding, decoded.evidence)


def _csv_rows(text: str, delimiter: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[Row] = []
    widths: Counter[int] = Counter()
    lines = _LINE_BREAK.split(text) if '"' in text else []
    last_line = 0
    while True:
        start = last_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            line = lines[start - 1] if start - 1 < len(lines) else ""
            problem = (
                "a quote opens here and is never closed"
                if "end of data" in str(exc)
                else "text follows a closing quote (a quote inside a quoted value must be doubled)"
                if "expected after" in str(exc)
                else "not a readable CSV record"
            )
            raise CsvStructureError(start, _quoted_cell(line, delimiter), problem, rows) from exc
        last_line = reader.line_num
        if last_line > start and widths:
            usual = widths.most_common(1)[0][0]
            for position, cell in enumerate(cells):
                inner = _LINE_BREAK.split(cell)[1:]
                if any(part.count(delimiter) >= max(usual - 1, 1) for part in inner):
                    raise CsvStructureError(
                        start,
                        position,
                        f"a quote opens here and closes only on line {last_line}: the lines between would be read "
                        "as one value",
                        rows,
                    )
        if cells:
            widths[len(cells)] += 1
        rows.append((last_line, [c.strip() for c in cells]))


def _quoted_cell(line: str, delimiter: str) -> int:
    """The position of the cell where `line` leaves a quote open, or has text after a closing one."""
    column, quoted, at_start, just_closed = 0, False, True, False
    position = 0
    while position < len(line):
        char = line[position]
        if quoted:
            if char == '"' and line[position + 1 : position + 2] == '"':
                position += 1  # a doubled quote inside a quoted value
            elif char == '"':
                quoted, just_closed = False, True
        elif char == delimiter:
            column, at_start, just_closed = column + 1, True, False
        elif just_closed:
            return column
        elif char == '"' and at_start:
            quoted = True
            at_start = False
        else:
            at_start = False
        position += 1
    return column


def _sniff(text: str) -> str:
    sample = "\n".join(line for line in text.splitlines()[:50] if line.strip())
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = Counter({d: sample.count(d) for d in ",;\t|"})
        return counts.most_common(1)[0][0] if counts.most_common(1)[0][1] else ","


def _excel_rows(name: str, content: bytes, settings: FileMapping) -> list[Row]:
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise BadInputError("not a readable .xlsx workbook (not a zip archive)", file=name) from exc
    rows: list[Row] = []
    with archive, warnings.catch_warnings():
        # openpyxl warns about what it cannot represent (a date serial out of range becomes an
        # error cell, which the row's check then rejects); the warning text is not ours to print.
        warnings.simplefilter("ignore")
        try:
            check_workbook(name, archive)
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except BadInputError:
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken workbook
            raise BadInputError(f"not a readable .xlsx workbook ({type(exc).__name__})", file=name) from exc
        number = 0
        try:
            sheet = _sheet(name, book, settings)
            sheet.reset_dimensions()  # the declared dimension pads every row: ignore it
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > limits.MAX_ROWS:
                    raise BadInputError(f"the sheet has more than {limits.MAX_ROWS:,} rows", file=name)
                kept = list(cells[: limits.MAX_COLUMNS])
                if any(c not in (None, "") for c in cells[limits.MAX_COLUMNS :]):
                    raise BadInputError(f"the sheet uses more than {limits.MAX_COLUMNS} columns", file=name, row=number)
                while kept and kept[-1] in (None, ""):
                    kept.pop()
                rows.append((number, [c.strip() if isinstance(c, str) else ("" if c is None else c) for c in kept]))
        except BadInputError:
            raise
        except Exception as exc:  # noqa: BLE001 - a sheet or cell openpyxl cannot read (e.g. a number 'NaN')
            raise BadInputError(
                f"the sheet cannot be read after row {number} ({type(exc).__name__}); nothing was loaded", file=name
            ) from exc
        finally:
            book.close()
    return rows


def _sheet(name: str, book: Any, settings: FileMapping) -> Any:
    if settings.sheet is None:
        return book.worksheets[0]
    if isinstance(settings.sheet, int):
        if not 0 <= settings.sheet < len(book.worksheets):
            raise BadInputError(f"no sheet number {settings.sheet}; the workbook has {len(book.worksheets)}", file=name)
        return book.worksheets[settings.sheet]
    if settings.sheet in book.sheetnames:
        return book[settings.sheet]
    raise BadInputError(f"no sheet {settings.sheet!r}; sheets: {book.sheetnames}", file=name)
