"""Number and tense in Spanish and English (cartera/campaigns/wording.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from cartera.campaigns.wording import balance_summary, days_text, due_status, invoices_text

AS_OF = dt.date(2026, 11, 20)


@pytest.mark.parametrize(
    ("n", "es", "en"),
    [(1, "1 factura", "1 invoice"), (2, "2 facturas", "2 invoices"), (0, "0 facturas", "0 invoices")],
)
def test_the_invoice_noun_agrees_with_the_number(n: int, es: str, en: str) -> None:
    assert invoices_text(n, "es-MX") == es and invoices_text(n, "en-US") == en


def test_one_day_is_singular() -> None:
    assert (days_text(1, "es-MX"), days_text(1, "en-US")) == ("1 día", "1 day")
    assert (days_text(4, "es-MX"), days_text(4, "en-US")) == ("4 días", "4 days")


@pytest.mark.parametrize(
    ("due", "es", "en"),
    [
        (dt.date(2026, 11, 16), "venció el 16/11/2026 y lleva 4 días vencida", "was due on Nov 16, 2026 and is 4 days overdue"),
        (dt.date(2026, 11, 19), "venció el 19/11/2026 y lleva 1 día vencida", "was due on Nov 19, 2026 and is 1 day overdue"),
        (AS_OF, "vence hoy", "is due today"),
        (dt.date(2026, 11, 21), "vence el 21/11/2026 (falta 1 día)", "is due on Nov 21, 2026 (1 day left)"),
        (dt.date(2026, 11, 25), "vence el 25/11/2026 (faltan 5 días)", "is due on Nov 25, 2026 (5 days left)"),
    ],
)  # fmt: skip
def test_a_due_date_is_told_in_its_tense(due: dt.date, es: str, en: str) -> None:
    assert due_status(due, AS_OF, "es-MX") == es
    assert due_status(due, AS_OF, "en-US") == en


@pytest.mark.parametrize(
    ("count", "overdue", "es", "en"),
    [
        (1, 1, "su factura ya pasó su fecha de vencimiento", "your invoice is past its due date"),
        (3, 3, "sus 3 facturas ya pasaron su fecha de vencimiento", "your 3 invoices are past their due date"),
        (3, 1, "1 de sus 3 facturas ya pasó su fecha de vencimiento", "1 of your 3 invoices is past its due date"),
        (3, 2, "2 de sus 3 facturas ya pasaron su fecha de vencimiento", "2 of your 3 invoices are past their due date"),
        (1, 0, "su factura aún no vence", "your invoice is not yet due"),
        (2, 0, "ninguna de sus 2 facturas ha vencido aún", "none of your 2 invoices is due yet"),
    ],
)  # fmt: skip
def test_the_balance_summary_agrees_in_number(count: int, overdue: int, es: str, en: str) -> None:
    assert balance_summary(count, overdue, "es-MX") == es
    assert balance_summary(count, overdue, "en-US") == en
