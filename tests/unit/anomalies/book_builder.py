"""Small hand-made books for the detectors' unit tests: every frame empty unless given."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from cartera.anomalies.book import COLUMNS, AnomalyBook

AS_OF = dt.date(2026, 5, 29)


def instant(day: dt.date, hour: int = 17) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def invoice(invoice_id: str, customer: str, issue: dt.date, total: float, **extra: Any) -> dict[str, Any]:
    row = {"invoice_id": invoice_id, "invoice_number": f"INV/{invoice_id}", "cfdi_uuid": f"UUID-{invoice_id}",
           "customer_id": customer, "issue_date": issue, "due_date": issue + dt.timedelta(days=30), "currency": "MXN",
           "total_amount": total, "total_mxn": total, "settled_date": None, "first_seen": instant(issue),
           "seen_live": True}  # fmt: skip
    row.update(extra)
    return row


def book(as_of: dt.date = AS_OF, **frames: list[dict[str, Any]]) -> AnomalyBook:
    unknown = set(frames) - set(COLUMNS)
    assert not unknown, unknown
    built = {
        name: pd.DataFrame.from_records(frames.get(name, []), columns=list(cols)) for name, cols in COLUMNS.items()
    }
    return AnomalyBook(as_of, built)
