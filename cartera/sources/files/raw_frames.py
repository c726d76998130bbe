"""An export's invoices as the raw rows they land as: invoices, one customer per id (name, RFC,
usual terms), a payment and its allocation for each paid date, and a dispute for each disputed
invoice — each row stamped with the import's instant and, for the gate's rejects, its line in the
file (``_source_row``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from cartera.raw_contract import raw_columns
from cartera.sources.files.reader import ParsedFile

if TYPE_CHECKING:
    import pandas as pd


def invoice_rows(parsed: ParsedFile, at: dt.datetime) -> tuple[pd.DataFrame, list[int]]:
    """raw.invoices rows of the file's invoices, and each row's line in the file."""
    import pandas as pd

    frame = parsed.invoices
    rows = pd.DataFrame(
        {
            "invoice_id": frame["invoice_id"],
            "invoice_number": frame["invoice_number"],
            "customer_id": frame["customer_id"],
            "issue_date": frame["issue_date"].dt.date,
            "due_date": frame["due_date"].dt.date,
            "currency": frame["currency"],
            "subtotal": None,
            "tax": None,
            "total": frame["amount"],
            "status": frame["status"],
            "cfdi_uuid": None,
            "payment_method": None,
            "updated_at": at,
        }
    ).astype(object)
    return rows.where(rows.notna(), None), list(frame["source_row"])


def customer_rows(invoices: pd.DataFrame, at: dt.datetime) -> pd.DataFrame:
    """One customer per id, with the name, RFC and usual credit terms the file shows."""
    import pandas as pd

    rows = []
    for customer_id, group in invoices.groupby("customer_id", sort=True):
        terms = group["credit_terms_days"].dropna()
        usual = int(terms.mode().iloc[0]) if len(terms) else None
        rows.append(
            {
                "customer_id": customer_id,
                "customer_name": _first(group["customer_name"]),
                "rfc": _first(group["rfc"]),
                "tax_regime": None,
                "country_code": _first(group["country"]),
                "state_code": None,
                "city": None,
                "postal_code": None,
                "industry": None,
                "credit_terms_days": usual,
                "credit_limit": None,
                "credit_limit_currency": None,
                "created_at": None,
                "updated_at": at,
                "_source_row": int(group["source_row"].iloc[0]),
            }
        )
    return pd.DataFrame(rows, columns=[*raw_columns("customers"), "_source_row"]).astype(object)


def _first(values: pd.Series) -> Any:
    present = values.dropna()
    return present.iloc[0] if len(present) else None


def payment_rows(invoices: pd.DataFrame, at: dt.datetime) -> dict[str, pd.DataFrame]:
    """A paid date becomes a payment and its allocation to the invoice (ids derived from the invoice)."""
    import pandas as pd

    paid = invoices[invoices["payment_date"].notna()]
    payments, allocations = [], []
    for row in paid.itertuples(index=False):
        amount = row.paid_amount if row.paid_amount is not None and row.paid_amount == row.paid_amount else row.amount
        day = row.payment_date.date()
        payment_id = f"{row.invoice_id}:paid"
        payments.append(
            {
                "payment_id": payment_id,
                "payment_number": payment_id,
                "customer_id": row.customer_id,
                "payment_date": day,
                "currency": row.currency,
                "amount": amount,
                "method": None,
                "status": "posted",
                "updated_at": at,
                "_source_row": row.source_row,
            }
        )
        allocations.append(
            {
                "allocation_id": payment_id,
                "payment_id": payment_id,
                "invoice_id": row.invoice_id,
                "amount": amount,
                "allocation_date": day,
                "updated_at": at,
                "_source_row": row.source_row,
            }
        )
    payment_columns = [
        "payment_id", "payment_number", "customer_id", "payment_date", "currency", "amount", "method", "status",
        "updated_at", "_source_row",
    ]  # fmt: skip
    allocation_columns = ["allocation_id", "payment_id", "invoice_id", "amount", "allocation_date", "updated_at"]
    return {
        "payments": pd.DataFrame(payments, columns=payment_columns).astype(object),
        "payment_allocations": pd.DataFrame(allocations, columns=[*allocation_columns, "_source_row"]).astype(object),
    }


def dispute_rows(invoices: pd.DataFrame, at: dt.datetime) -> pd.DataFrame:
    """An invoice flagged as disputed is disputed from its dispute date, or, when the file does not
    give it, from the import (when we learned it): never earlier than we knew."""
    import pandas as pd

    flagged = invoices[invoices["disputed"].fillna(False).astype(bool)]
    rows = [
        {
            "dispute_id": f"{row.invoice_id}:dispute",
            "invoice_id": row.invoice_id,
            "customer_id": row.customer_id,
            "opened_date": row.dispute_opened_date.date() if not pd.isna(row.dispute_opened_date) else at.date(),
            "resolved_date": None,
            "reason": None,
            "status": "open",
            "updated_at": at,
            "_source_row": row.source_row,
        }
        for row in flagged.itertuples(index=False)
    ]
    columns = ["dispute_id", "invoice_id", "customer_id", "opened_date", "resolved_date", "reason", "status"]
    return pd.DataFrame(rows, columns=[*columns, "updated_at", "_source_row"]).astype(object)
