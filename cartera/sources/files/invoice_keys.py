"""The key an invoice lands under: its number as written, normalised so that the same book saved
again with other formatting lands as new versions of the same invoices, not as new invoices.

The rule (mapping ``invoice_numbers: normalised``, the default):

1. surrounding spaces are removed and inner runs of spaces become one space;
2. letters are upper-cased;
3. every run of digits loses its leading zeros (a run of zeros only becomes ``0``).

So ``F-000123``, ``F-123`` and `` f-123 `` are all ``F-123``; ``000123`` (a folio Excel kept as
text) and ``123`` (the same folio after Excel read it as a number) are both ``123``. Separators are
kept: ``F-123`` and ``F123`` stay two keys.

The risk: two genuinely different invoices whose numbers differ only by the zeros (``A-01`` and
``A-1``), by case or by spaces become one key. In one file they are caught (the rows are
quarantined as the same invoice number with different data, naming what differs); across files the
later one would be read as a new version of the earlier. A book that numbers invoices that way sets
``invoice_numbers: exact`` in its mapping: the key is then the number as written, surrounding
spaces removed. The number as written is always kept in ``invoice_number``.
"""

from __future__ import annotations

import re
from typing import Literal

KeyRule = Literal["normalised", "exact"]
_DIGITS = re.compile(r"\d+")


def invoice_key(number: str, rule: KeyRule = "normalised") -> str:
    """The landing key of an invoice number under `rule` (see the module docstring)."""
    if rule == "exact":
        return number.strip()
    collapsed = " ".join(number.split()).upper()
    return _DIGITS.sub(lambda digits: digits.group(0).lstrip("0") or "0", collapsed)
