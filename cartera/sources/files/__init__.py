"""Invoice exports (CSV, Excel) as a source: read with a column mapping, land in raw like any source.

- :func:`read_invoice_file` (no database): the file's invoices in canonical columns, its bad rows
  with file row and field, what was skipped and why. Used by ``cartera import --dry-run`` and by
  ``cartera backtest --file``.
- :func:`import_file`: the same, landed in raw.* through the quality gate, in one transaction,
  idempotent by the file's content (sha256).
"""

from __future__ import annotations

from cartera.sources.files.importer import ImportSummary, import_file
from cartera.sources.files.mapping import FileMapping, load_mapping
from cartera.sources.files.reader import INVOICE_COLUMNS, ParsedFile, read_invoice_file
from cartera.sources.files.records import Reject

__all__ = [
    "INVOICE_COLUMNS",
    "FileMapping",
    "ImportSummary",
    "ParsedFile",
    "Reject",
    "import_file",
    "load_mapping",
    "read_invoice_file",
]
