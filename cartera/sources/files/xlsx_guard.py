"""Checks on a workbook's bytes before openpyxl parses any of it.

openpyxl trusts a workbook: it expands XML entities, reads the shared strings and styles whole, and
in read-only mode pads every row to the sheet's *declared* dimension, so a 5 KB file declaring
1,048,576 × 16,384 cells asks for 137 GB. defusedxml is not installed here, so the checks are ours:

- the zip: at most MAX_ZIP_ENTRIES parts and MAX_UNCOMPRESSED_BYTES in all, each part within its
  limit (the sizes are the zip directory's; Python's zipfile never inflates a part past its
  declared size);
- every XML part: UTF-8 (an XML declaration naming another encoding is refused), and no DTD
  (``<!DOCTYPE``) or entity (``<!ENTITY``) anywhere in it;
- shared strings: at most MAX_SHARED_STRINGS declared;
- every worksheet: its declared dimension, and the cells it actually addresses, within
  MAX_ROWS × MAX_COLUMNS.

Each failure is a BadInputError naming the file and what exceeded which limit.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator

from cartera.errors import BadInputError
from cartera.sources.files import limits

_CHUNK = 1024 * 1024
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\b[^>]*\bref\s*=\s*\"([A-Z]{1,3})?(\d{1,7})?(?::([A-Z]{1,3})?(\d{1,7})?)?\""
)
_REFERENCE = re.compile(rb"<(?:\w+:)?(?:c|row)\b[^>]*?\br\s*=\s*\"([A-Z]{1,3})?(\d{1,7})\"")
_UNIQUE_COUNT = re.compile(rb"<(?:\w+:)?sst\b[^>]*?\buniqueCount\s*=\s*\"(\d+)\"")


def check_workbook(name: str, archive: zipfile.ZipFile) -> None:
    """Refuse a workbook that breaks a limit (see the module docstring)."""
    entries = archive.infolist()
    if len(entries) > limits.MAX_ZIP_ENTRIES:
        raise _refuse(name, f"it holds {len(entries)} parts (the limit is {limits.MAX_ZIP_ENTRIES})")
    total = sum(entry.file_size for entry in entries)
    if total > limits.MAX_UNCOMPRESSED_BYTES:
        raise _refuse(name, f"it unpacks to {total:,} bytes (the limit is {limits.MAX_UNCOMPRESSED_BYTES:,})")
    for entry in entries:
        worksheet = _is_worksheet(entry.filename)
        limit = limits.MAX_PART_BYTES if worksheet else limits.MAX_SMALL_PART_BYTES
        if entry.file_size > limit:
            raise _refuse(name, f"its part {entry.filename!r} unpacks to {entry.file_size:,} bytes (limit {limit:,})")
        if entry.is_dir() or not entry.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        _check_xml_part(name, archive, entry, worksheet)


def _is_worksheet(part: str) -> bool:
    return part.lower().startswith(("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/"))


def _check_xml_part(name: str, archive: zipfile.ZipFile, entry: zipfile.ZipInfo, worksheet: bool) -> None:
    max_row = max_column = 0
    first = True
    for chunk in _chunks(archive, entry):
        if first:
            first = False
            if chunk.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
                raise _refuse(name, f"its part {entry.filename!r} is not UTF-8 XML")
            declared = _DECLARED_ENCODING.search(chunk[:200])
            if declared and declared.group(1).lower().replace(b"-", b"").replace(b"_", b"") != b"utf8":
                raise _refuse(name, f"its part {entry.filename!r} declares an encoding other than UTF-8")
            if entry.filename.lower().endswith("sharedstrings.xml"):
                count = _UNIQUE_COUNT.search(chunk[:4096])
                if count and int(count.group(1)) > limits.MAX_SHARED_STRINGS:
                    raise _refuse(
                        name,
                        f"it declares {int(count.group(1)):,} shared strings (the limit is {limits.MAX_SHARED_STRINGS:,})",
                    )
        if _DTD.search(chunk):
            raise _refuse(name, f"its part {entry.filename!r} holds a DTD or XML entity declaration")
        if not worksheet:
            continue
        for match in _DIMENSION.finditer(chunk):
            rows = max(int(match.group(2) or 0), int(match.group(4) or 0))
            columns = max(_column_number(match.group(1)), _column_number(match.group(3)))
            if rows > limits.MAX_ROWS or columns > limits.MAX_COLUMNS:
                raise _refuse(
                    name,
                    f"its sheet {entry.filename!r} declares {rows:,} rows × {columns:,} columns (the limit is "
                    f"{limits.MAX_ROWS:,} × {limits.MAX_COLUMNS:,}): save only the used range, or export CSV",
                )
        for match in _REFERENCE.finditer(chunk):
            max_column = max(max_column, _column_number(match.group(1)))
            max_row = max(max_row, int(match.group(2)))
        if max_row > limits.MAX_ROWS or max_column > limits.MAX_COLUMNS:
            raise _refuse(
                name,
                f"its sheet {entry.filename!r} addresses a cell beyond row {limits.MAX_ROWS:,} or column "
                f"{limits.MAX_COLUMNS:,}: save only the used range, or export CSV",
            )


def _chunks(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> Iterator[bytes]:
    """The part's bytes in overlapping chunks (a tag cut at a boundary is seen whole in the next)."""
    tail = b""
    with archive.open(entry) as part:
        while True:
            data = part.read(_CHUNK)
            if not data:
                return
            yield tail + data
            tail = data[-256:]


def _column_number(letters: bytes | None) -> int:
    number = 0
    for letter in letters or b"":
        number = number * 26 + (letter - ord("A") + 1)
    return number


def _refuse(name: str, what: str) -> BadInputError:
    return BadInputError(f"workbook refused before reading: {what}", file=name)
