"""What an export may hold: the warehouse's bounds on values, and the limits that keep a small
malicious file from asking for unbounded memory or time. One place, so the reader, the tests and
the docs quote the same numbers."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

# raw.* stores money as numeric(18, 2): 16 digits before the point. An amount that would round to
# 10^16 does not fit either.
AMOUNT_LIMIT = Decimal("9999999999999999.995")
# Dates a receivables export can sensibly hold. Issue, payment and dispute dates: from EARLIEST_DATE
# to a year after the import (LATEST_DATE when the reader is given no date, to stay pure); a due
# date: from the issue date to MAX_TERM after it.
EARLIEST_DATE = dt.date(1990, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)
AHEAD_OF_IMPORT = dt.timedelta(days=366)
MAX_TERM = dt.timedelta(days=3653)  # ten years
MAX_TERM_DAYS = MAX_TERM.days

# Workbooks (.xlsx, .xlsm): checked before openpyxl parses anything.
MAX_ROWS = 500_000
MAX_COLUMNS = 512
MAX_ZIP_ENTRIES = 2_000
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024  # the whole workbook, as declared by its zip directory
MAX_PART_BYTES = 256 * 1024 * 1024  # one worksheet
MAX_SMALL_PART_BYTES = 64 * 1024 * 1024  # shared strings, styles, any other part (parsed whole)
MAX_SHARED_STRINGS = 2_000_000


def display_name(name: str) -> str:
    """A file name safe to put in a log line or an error: as is when printable, else its repr
    (a newline or a control character in a name cannot forge a log line)."""
    if name.isprintable():
        return name
    return repr(name)


def control_character(text: str, *, line_breaks_allowed: bool) -> str | None:
    """What kind of control character `text` holds, if any: 'NUL', 'a control character', 'a line
    break or tab' (only when not allowed), 'bytes that are not UTF-8' (undecodable bytes kept as
    lone surrogates by the decoder). Never the character's context: it may be personal data."""
    if "\x00" in text:
        return "NUL"
    if text.isprintable():
        return None
    for char in text:
        if "\udc80" <= char <= "\udcff":
            return "bytes that are not UTF-8"
    for char in text:
        if char in "\t\r\n":
            if not line_breaks_allowed:
                return "a line break or tab"
        elif unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            return "a control character"
    return None
