"""SMS within its segment budget (cartera/campaigns/short_texts.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from statement_inputs import CREDITOR

from cartera.campaigns.candidates import OpenItem
from cartera.campaigns.rendering import render_message
from cartera.campaigns.short_texts import SMS_MAX_SEGMENTS
from cartera.channels.sms_segments import sms_segments

AS_OF = dt.date(2026, 3, 10)


def invoices(n: int, *, days: int = 9, currency: str = "MXN") -> tuple[OpenItem, ...]:
    due = AS_OF - dt.timedelta(days=days)
    return tuple(
        OpenItem(f"I{i}", f"F-{i:04d}", "C1", due, currency, Decimal("123456.78"), Decimal("123456.78"), days, False)
        for i in range(n)
    )


def sms(items: tuple[OpenItem, ...], language: str = "es-MX", **kw: object) -> str:
    options: dict[str, object] = {"creditor": CREDITOR, "contact_name": None, "reference": "CLI010101AB1"}
    options.update(kw)
    return render_message("sms", "recordatorio_vencido", language, invoices=items, as_of=AS_OF, **options).text  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["es-MX", "en-US"])
@pytest.mark.parametrize("n", [1, 2, 30])
@pytest.mark.parametrize("days", [-3, 0, 1, 120])
def test_an_sms_fits_two_segments_and_keeps_the_essentials(language: str, n: int, days: int) -> None:
    text = sms(invoices(n, days=days), language)
    assert sms_segments(text)[1] <= SMS_MAX_SEGMENTS
    assert "Distribuidora Ejemplo" in text and "CLI010101AB1" in text and "$" in text
    opt_out = "Reply STOP to stop these SMS" if language == "en-US" else "Responda BAJA para no recibir SMS"
    assert text.endswith(opt_out)


def test_accents_that_would_force_ucs2_past_the_budget_are_dropped_and_gsm7_kept() -> None:
    text = sms(invoices(2))
    encoding, segments = sms_segments(text)
    assert encoding == "GSM-7" and segments <= 2
    assert "la mas antigua lleva 9 dias vencida" in text
    assert "CLABE 002180000000000009" in text  # it fits: the payment details stay


def test_singular_and_plural_hold_in_the_sms() -> None:
    assert "(1 factura); lleva 1 dia vencida" in sms(invoices(1, days=1))
    assert "(2 facturas); la primera vence hoy" in sms(invoices(2, days=0))
    assert "(1 invoice); it is due in 3 days" in sms(invoices(1, days=-3), "en-US")


def test_a_long_creditor_name_and_two_currencies_still_fit_by_dropping_the_clabe_first() -> None:
    long_name = CREDITOR.model_copy(update={"short_name": "Comercializadora Internacional"})
    items = invoices(3) + invoices(2, currency="USD")
    text = sms(items, creditor=long_name, reference="COMERCIALIZADO1")
    assert sms_segments(text)[1] <= SMS_MAX_SEGMENTS
    assert "COMERCIALIZADO1" in text and "USD" in text and "MXN" in text
