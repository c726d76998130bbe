"""Messages rendered for each channel (cartera/campaigns/rendering.py and templates/)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from statement_inputs import CREDITOR

from cartera.campaigns.candidates import OpenItem
from cartera.campaigns.playbook import load_playbook
from cartera.campaigns.rendering import RenderedMessage, money, render_message
from cartera.campaigns.short_texts import WHATSAPP_TEMPLATE, WHATSAPP_VARIABLES
from cartera.channels.whatsapp_templates import DEMO_TEMPLATES_FILE, TemplateRegistry

DEMO_REGISTRY = TemplateRegistry.from_file(DEMO_TEMPLATES_FILE)

AS_OF = dt.date(2026, 3, 10)
UUID_1 = "5FB2822E-396D-4725-8521-CDC4BDD20CCF"
INVOICES = (
    OpenItem(
        "I1", "F-1001", "C1", dt.date(2026, 3, 1), "MXN", Decimal("12345.67"), Decimal("12345.67"), 9, False,
        issue_date=dt.date(2026, 1, 30), cfdi_uuid=UUID_1,
    ),
    OpenItem("I2", "F-1002", "C1", dt.date(2026, 3, 16), "USD", Decimal("1000"), Decimal("17000"), -6, False),
)  # fmt: skip


def render(
    template: str = "recordatorio_vencido", language: str = "es-MX", channel: str = "email", **kw: object
) -> RenderedMessage:
    options: dict[str, object] = {
        "invoices": INVOICES,
        "as_of": AS_OF,
        "creditor": CREDITOR,
        "contact_name": "Ana López",
        "reference": "CLI010101AB1",
    }
    options.update(kw)
    return render_message(channel, template, language, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [("12345.67", "MXN", "$12,345.67 MXN"), ("1000", "USD", "$1,000.00 USD"), ("0.005", "MXN", "$0.01 MXN")],
)
def test_amounts_are_formatted_mexican_style(amount: str, currency: str, text: str) -> None:
    assert money(Decimal(amount), currency) == text


def test_the_email_is_a_statement_with_folio_uuid_dates_days_amounts_and_totals_per_currency() -> None:
    message = render()
    for part in (message.text, message.html):
        assert "F-1001" in part and "F-1002" in part and UUID_1 in part
        assert "$12,345.67 MXN" in part and "$1,000.00 USD" in part
        assert "30/01/2026" in part  # issue date
        assert "venció el 01/03/2026 y lleva 9 días vencida" in part.lower()
        assert "vence el 16/03/2026 (faltan 6 días)" in part.lower()
    assert "Total a pagar: $12,345.67 MXN + $1,000.00 USD" in message.text
    assert "Saldo calculado al 10/03/2026" in message.text
    assert "Estado de cuenta al 10/03/2026 (2 facturas)" in message.text
    assert message.text.startswith("Estimado(a) Ana López:")
    assert message.text.index("F-1001") < message.text.index("F-1002")  # oldest due date first


def test_the_email_says_how_to_pay_whom_to_call_how_to_dispute_and_who_collects() -> None:
    for message in (render(), render(language="en-US")):
        for part in (message.text, message.html):
            assert "Banco Ejemplo (demo)" in part and "002180000000000009" in part and "CLABE" in part
            assert "CLI010101AB1" in part  # payment reference
            assert "Mesa de Cobranza" in part and "55 0000 0000" in part
            assert "aclaraciones@example.com" in part and "CFDI" in part
            assert "RFC DEJ200101AA0" in part and CREDITOR.legal_name in part.replace("&amp;", "&")
    assert "lunes a viernes" in render().text and "Monday to Friday" in render(language="en-US").text


def test_every_part_of_every_rendering_gives_the_complaints_unit_and_the_calculation_date() -> None:
    for language, une, calculated in (
        ("es-MX", "Unidad Especializada de Atención a Usuarios (UNE)", "Saldo calculado al 10/03/2026"),
        ("en-US", "Specialized Unit for User Attention (UNE)", "Balance calculated as of March 10, 2026"),
    ):
        email = render(language=language)
        for part in (email.text, email.html):
            assert une in part and "55 0000 0001" in part and "une@example.com" in part and calculated in part
        for message in (
            render(language=language, channel="whatsapp", window_open=True),
            render(language=language, channel="sms"),
        ):
            assert "UNE" in message.text and "55 0000 0001, une@example.com" in message.text


def test_one_invoice_is_singular_and_a_past_date_is_past_tense() -> None:
    message = render(invoices=INVOICES[:1])
    assert "(1 factura)" in message.text and "las siguientes facturas" not in message.text
    assert "su factura ya pasó su fecha de vencimiento" in message.text
    assert "vence 01/03/2026" not in message.text and "venció el 01/03/2026" in message.text
    english = render(language="en-US", invoices=INVOICES[:1])
    assert "(1 invoice)" in english.text and "your invoice is past its due date" in english.text
    assert "was due on Mar 1, 2026 and is 9 days overdue" in english.text


def test_the_reminder_names_the_company_and_offers_an_opt_out() -> None:
    message = render()
    assert CREDITOR.legal_name in message.subject and CREDITOR.legal_name in message.text
    assert "BAJA" in message.text and "BAJA" in message.html


@pytest.mark.parametrize("template", sorted({s.template for s in load_playbook().steps if s.template}))
@pytest.mark.parametrize("language", ["es-MX", "en-US"])
def test_every_playbook_template_renders_in_both_languages_without_threats(template: str, language: str) -> None:
    message = render(template, language)
    assert message.subject and "F-1001" in message.text
    lowered = (message.subject + message.text).lower()
    for word in ("demanda", "embargo", "cárcel", "buró", "lawsuit", "jail", "police", "policía"):
        assert word not in lowered


def test_the_service_tone_asks_first_whether_something_is_wrong_and_is_not_firm() -> None:
    es = render("consulta_servicio", invoices=INVOICES[:1])
    assert es.subject.startswith("¿Todo en orden con su factura?")
    for words in ("mercancía", "orden de compra", "CFDI"):
        assert words in es.text
    assert "regularizar" not in es.text.lower() and "importante" not in es.subject.lower()
    en = render("consulta_servicio", "en-US")
    assert en.subject.startswith("Is everything all right with your invoices?")
    assert "missing purchase order" in en.text


def test_html_escapes_names_and_text_does_not() -> None:
    creditor = CREDITOR.model_copy(update={"legal_name": "López & Hijos"})
    message = render(contact_name="<b>Ana</b>", creditor=creditor)
    assert "&lt;b&gt;Ana&lt;/b&gt;" in message.html and "López &amp; Hijos" in message.html
    assert "López & Hijos" in message.text


def test_english_uses_us_dates_and_an_anonymous_greeting_when_no_name() -> None:
    message = render(language="en-US", contact_name=None)
    assert message.text.startswith("Dear customer,")
    assert "Mar 1, 2026" in message.text and "UNSUBSCRIBE" in message.text
    assert "is due on Mar 16, 2026 (6 days left)" in message.text


def test_sms_is_plain_text_with_the_essentials() -> None:
    message = render(channel="sms")
    assert message.subject == "" and message.html == "" and message.template is None
    text = message.text
    assert "Distribuidora Ejemplo" in text and "$12,345.67 MXN + $1,000.00 USD" in text
    assert "2 facturas" in text and "9 dias vencida" in text.replace("í", "i")
    assert "CLI010101AB1" in text and text.endswith("Responda BAJA para no recibir SMS")


def test_whatsapp_outside_the_window_uses_the_approved_template_with_its_variables() -> None:
    message = render(channel="whatsapp", templates=DEMO_REGISTRY)
    assert message.template == WHATSAPP_TEMPLATE
    assert set(message.template_variables) == set(WHATSAPP_VARIABLES)
    assert message.template_variables == {
        "acreedor": "Distribuidora Ejemplo S.A. de C.V.",
        "rfc": "DEJ200101AA0",
        "fecha_calculo": "10/03/2026",
        "total": "$12,345.67 MXN + $1,000.00 USD",
        "facturas": "2 facturas",
        "referencia": "CLI010101AB1",
        "une": "55 0000 0001, une@example.com",
    }
    # What the debtor reads is the approved body with those values, and that is the text judged.
    assert message.template_text is not None and message.text == message.template_text
    assert message.text.startswith("Hola, le escribimos de Distribuidora Ejemplo S.A. de C.V. (RFC DEJ200101AA0).")
    assert "Su saldo al 10/03/2026 es de $12,345.67 MXN + $1,000.00 USD (2 facturas)." in message.text
    assert "(UNE), 55 0000 0001, une@example.com." in message.text and "{{" not in message.text
    english = render(channel="whatsapp", language="en-US", templates=DEMO_REGISTRY)
    assert "Your balance as of March 10, 2026 is $12,345.67 MXN + $1,000.00 USD (2 invoices)." in english.text


def test_a_whatsapp_template_whose_approved_body_is_not_held_has_no_template_text() -> None:
    message = render(channel="whatsapp", templates=TemplateRegistry())
    assert message.template == WHATSAPP_TEMPLATE and message.template_text is None
    assert "F-1001" in message.text  # the free text stands in, for reconciliation only


def test_whatsapp_inside_the_window_is_free_text_listing_each_invoice() -> None:
    message = render(channel="whatsapp", window_open=True)
    assert message.template is None and message.template_variables == {}
    assert "F-1001" in message.text and "lleva 9 días vencida" in message.text
    assert "CLABE 002180000000000009" in message.text and "BAJA" in message.text


def test_an_unknown_channel_or_an_empty_statement_is_refused() -> None:
    with pytest.raises(ValueError, match="channel"):
        render(channel="fax")
    with pytest.raises(ValueError, match="invoice"):
        render(invoices=())
