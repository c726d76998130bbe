"""The CUSUM change point in days late: a customer that starts paying weeks late is raised; one
invoice never paid, or a customer always late, is not."""

from __future__ import annotations

import datetime as dt

import numpy as np
from book_builder import AS_OF, book, invoice

from cartera.anomalies.deterioration import cusum_change_point, payment_deterioration


def test_the_change_point_is_where_days_late_jump() -> None:
    x = np.array([-2, 0, -1, -3, 0, -2, -1, 0, -2, -1, 35, 40, 38, 45], dtype=float)
    assert cusum_change_point(x, 8) == 10


def test_one_invoice_never_paid_is_not_a_change_point() -> None:
    x = np.array([-2, 0, -1, -3, 0, -2, -1, 0, -2, 150, -1, 0, -2, -1], dtype=float)
    assert cusum_change_point(x, 8) is None


def _history(customer: str, late: list[int]) -> list[dict[str, object]]:
    rows = []
    for n, days in enumerate(late):
        issue = AS_OF - dt.timedelta(days=30 * (len(late) - n) + 60)
        due = issue + dt.timedelta(days=30)
        rows.append(invoice(f"{customer}-{n}", customer, issue, 100.0, due_date=due,
                            settled_date=due + dt.timedelta(days=days)))  # fmt: skip
    return rows


def test_a_punctual_customer_paying_weeks_late_is_raised_and_a_chronic_late_one_is_not() -> None:
    punctual_then_late = [-2, 0, -1, -3, 0, -2, -1, 0, -2, -1, 0, 40, 45, 38, 50]
    always_late = [40, 35, 60, 45, 38, 50, 42, 55, 47, 39, 41, 44, 52, 48, 40]
    found = payment_deterioration(book(invoices=_history("C1", punctual_then_late) + _history("C2", always_late)))

    assert [f.entity_id for f in found] == ["C1"]
    assert "pays 42 days after the due date (median; before: -1)" in found[0].reasons[0].en
