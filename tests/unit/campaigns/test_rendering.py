"""Reminder templates (cartera/campaigns/rendering.py and templates/)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cartera.campaigns.candidates import OpenItem
from cartera.campaigns.playbook import load_playbook
from cartera.campaigns.rendering import money, render_reminder

INVOICES = (
    OpenItem("I1", "F-1001", "C1", dt.date(2026, 3, 1), "MXN", Decimal("12345.67"), Decimal("12345.67"), 9, False),
    OpenItem("I2", "F-1002", "C1", dt.date(2026, 3, 4), "USD", Decimal("1000"), Decimal("17000"), 6, False),
)
COMPANY = "Distribuidora Ejemplo S.A. de C.V."


def render(template: str = "recordatorio_vencido", language: str = "es-MX", **kw: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {
        "invoices": INVOICES,
        "as_of": dt.date(2026, 3, 10),
        "company_name": COMPANY,
        "contact_name": "Ana López",
        "reference": "abc123def456",
    }
    options.update(kw)
    return render_reminder(template, language, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [("12345.67", "MXN", "$12,345.67 MXN"), ("1000", "USD", "$1,000.00 USD"), ("0.005", "MXN", "$0.01 MXN")],
)
def test_amounts_are_formatted_mexican_style(amount: str, currency: str, text: str) -> None:
    assert money(Decimal(amount), currency) == text


def test_the_reminder_lists_invoice_numbers_due_dates_amounts_and_totals() -> None:
    message = render()
    for part in (message.text, message.html):
        assert "F-1001" in part and "F-1002" in part
        assert "$12,345.67 MXN" in part and "$1,000.00 USD" in part
        assert "01/03/2026" in part and "10/03/2026" in part
    assert "Total: $12,345.67 MXN + $1,000.00 USD" in message.text
    assert message.text.startswith("Estimado(a) Ana López:")


def test_the_reminder_names_the_company_and_offers_an_opt_out() -> None:
    message = render()
    assert COMPANY in message.subject and COMPANY in message.text
    assert "BAJA" in message.text and "BAJA" in message.html
    assert "abc123def456" in message.text


@pytest.mark.parametrize("template", [s.template for s in load_playbook().steps if s.template])
@pytest.mark.parametrize("language", ["es-MX", "en-US"])
def test_every_playbook_template_renders_in_both_languages_without_threats(template: str, language: str) -> None:
    message = render(template, language)
    assert message.subject and "F-1001" in message.text
    lowered = (message.subject + message.text).lower()
    for word in ("demanda", "embargo", "cárcel", "buró", "lawsuit", "jail", "police", "policía"):
        assert word not in lowered


def test_html_escapes_names_and_text_does_not() -> None:
    message = render(contact_name="<b>Ana</b>", company_name="López & Hijos")
    assert "&lt;b&gt;Ana&lt;/b&gt;" in message.html and "López &amp; Hijos" in message.html
    assert "López & Hijos" in message.text


def test_english_uses_us_dates_and_an_anonymous_greeting_when_no_name() -> None:
    message = render(language="en-US", contact_name=None)
    assert message.text.startswith("Dear customer,")
    assert "Mar 1, 2026" in message.text and "UNSUBSCRIBE" in message.text
