"""An invoice export as the backtest reads it: the canonical frame of `ml.backtest.inputs`,
through the same reader the import uses.

The backtest (``ml/``) depends only on the kernel; reading a company's export is a source's job,
so the CLI reads the file here and hands the frame to ``ml.backtest.inputs.prepare_input``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cartera.logs import get_logger
from cartera.sources.files.mapping import FileMapping
from cartera.sources.files.reader import read_invoice_file

if TYPE_CHECKING:
    import pandas as pd

log = get_logger(__name__)
# The invoice, its outcome, the file row: what a backtest may read from an export.
FILE_COLUMNS = (
    "invoice_id",
    "customer_id",
    "issue_date",
    "due_date",
    "currency",
    "invoice_number",
    "amount",
    "paid_date",
    "source_row",
)


def read_invoice_export(path: Path, mapping: FileMapping | Path | None = None) -> pd.DataFrame:
    """The canonical invoice frame of an exported file (cancelled invoices left out; a dispute
    flag only with its date when the export dates it). Raises BadInputError like the import."""
    parsed = read_invoice_file(path, mapping)
    for warning in parsed.warnings:
        log.warning("backtest input %s: %s", path.name, warning)
    if parsed.rejects:
        log.warning(
            "backtest input %s: %d rows not readable (first: row %d, %s); they are not in the backtest",
            path.name,
            len(parsed.rejects),
            parsed.rejects[0].row,
            parsed.rejects[0].reason,
        )
    invoices = parsed.invoices
    invoices = invoices[invoices["status"] != "cancelled"].assign(
        amount=lambda f: f["amount"].astype("float64"), amount_mxn=lambda f: f["amount_mxn"].astype("float64")
    )
    keep = [*FILE_COLUMNS, *(["amount_mxn"] if invoices["amount_mxn"].notna().all() else [])]
    if invoices["disputed"].notna().any():
        keep += ["disputed", "dispute_opened_date"] if invoices["dispute_opened_date"].notna().any() else ["disputed"]
    return invoices.loc[:, keep].reset_index(drop=True)
