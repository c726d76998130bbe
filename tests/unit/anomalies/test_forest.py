"""The isolation forest on credit notes: a round credit note far above the customer's invoices
stands out among ordinary returns and discounts; without one, nothing is raised."""

from __future__ import annotations

import datetime as dt
import random

from book_builder import book, invoice

from cartera.anomalies.forest import unusual_credit_notes


def _ordinary(rng: random.Random, n: int) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    invoices, notes = [], []
    for i in range(n):
        total = round(rng.uniform(20_000, 40_000), 2)
        issue = dt.date(2025, 6, 1) + dt.timedelta(days=i)
        invoices.append(invoice(str(i), f"C{i % 10}", issue, total))
        amount = round(total * rng.uniform(0.05, 0.4), 2)
        notes.append({"credit_note_id": f"N{i}", "customer_id": f"C{i % 10}", "invoice_id": str(i),
                      "issue_date": issue + dt.timedelta(days=rng.randint(1, 30)), "currency": "MXN",
                      "total_amount": amount, "total_mxn": amount})  # fmt: skip
    return invoices, notes


def test_a_round_credit_note_far_above_the_customers_invoices_is_raised() -> None:
    invoices, notes = _ordinary(random.Random(1), 120)
    invoices.append(invoice("big", "C1", dt.date(2026, 1, 5), 400_000.0))
    notes.append({"credit_note_id": "NX", "customer_id": "C1", "invoice_id": "big", "issue_date": dt.date(2026, 1, 6),
                  "currency": "MXN", "total_amount": 300_000.0, "total_mxn": 300_000.0})  # fmt: skip
    found = unusual_credit_notes(book(invoices=invoices, credit_notes=notes))

    assert [f.entity_id for f in found] == ["NX"]
    assert found[0].reasons[0].en == "Round amount: 300,000.00 MXN"


def test_ordinary_credit_notes_raise_nothing() -> None:
    invoices, notes = _ordinary(random.Random(2), 120)
    assert unusual_credit_notes(book(invoices=invoices, credit_notes=notes)) == []
