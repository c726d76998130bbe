"""Small synthetic invoice histories for the ml unit tests (no database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

D = dt.date(2025, 6, 30)  # the as-of date most tests look from


def invoice(
    invoice_id: str,
    customer_id: str,
    issued: dt.date,
    *,
    terms: int = 30,
    settled_after_due: int | None = 0,
    amount: float = 1000.0,
    currency: str = "MXN",
) -> dict[str, Any]:
    """One fct_invoices-like row; settled_after_due None means still open (negative = early)."""
    due = issued + dt.timedelta(days=terms)
    settled = None if settled_after_due is None else due + dt.timedelta(days=settled_after_due)
    return {
        "invoice_id": invoice_id,
        "customer_id": customer_id,
        "issue_date": issued,
        "due_date": due,
        "currency": currency,
        "total_amount_mxn": amount,
        "settled_date": settled,
    }


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def monthly_history(
    customer_id: str, lateness: list[int | None], *, start: dt.date = dt.date(2024, 1, 5), terms: int = 30
) -> list[dict[str, Any]]:
    """One invoice a month, the k-th settled lateness[k] days after its due date (None: open)."""
    return [
        invoice(
            f"{customer_id}-{k:02d}",
            customer_id,
            start + dt.timedelta(days=30 * k),
            terms=terms,
            settled_after_due=late,
        )
        for k, late in enumerate(lateness)
    ]


def behaviour_history(
    seed: int = 3, customers: int = 16, start: dt.date = dt.date(2024, 1, 1), end: dt.date = D
) -> pd.DataFrame:
    """Customers that are either good (5 % late) or bad (80 % late), an invoice every ~12 days;
    settlements after ``end`` are left open (as the marts on ``end`` would show them)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        p_late = 0.8 if c % 2 else 0.05
        day = start + dt.timedelta(days=int(rng.integers(0, 10)))
        k = 0
        while day <= end:
            late = rng.random() < p_late
            offset = int(rng.integers(3, 40)) if late else -int(rng.integers(0, 4))
            row = invoice(
                f"C{c:02d}-{k:03d}",
                f"C{c:02d}",
                day,
                terms=int(rng.choice([15, 30])),
                settled_after_due=offset,
                amount=float(rng.integers(500, 50_000)),
            )
            if row["settled_date"] > end:
                row["settled_date"] = None
            rows.append(row)
            day += dt.timedelta(days=int(rng.integers(8, 16)))
            k += 1
    return pd.DataFrame(rows)
