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
def test_an_sms_fits_three_segments_and_keeps_the_essentials(language: str, n: int, days: int) -> None:
    text = sms(invoices(n, days=days), language)
    assert SMS_MAX_SEGMENTS == 3 and sms_segments(text)[1] <= SMS_MAX_SEGMENTS
    assert "Distribuidora Ejemplo S.A. de C.V. (RFC DEJ200101AA0)" in text and "CLI010101AB1" in text
    assert ("balance as of March 10, 2026: $" if language == "en-US" else "saldo al 10/03/2026: $") in text
    assert "UNE): 55 0000 0001, une@example.com." in text or "UNE: 55 0000 0001, une@example.com." in text
    opt_out = "Reply STOP to stop these SMS" if language == "en-US" else "Responda BAJA para no recibir SMS"
    assert text.endswith(opt_out)


def test_accents_that_would_force_ucs2_past_the_budget_are_dropped_and_gsm7_kept() -> None:
    text = sms(invoices(2))
    encoding, segments = sms_segments(text)
    assert encoding == "GSM-7" and segments <= 3
    assert "la mas antigua lleva 9 dias vencida" in text
    assert "CLABE 002180000000000009" in text  # it fits: the payment details stay


def test_singular_and_plural_hold_in_the_sms() -> None:
    assert "(1 factura); lleva 1 dia vencida" in sms(invoices(1, days=1))
    assert "(2 facturas); la primera vence hoy" in sms(invoices(2, days=0))
    assert "(1 invoice); it is due in 3 days" in sms(invoices(1, days=-3), "en-US")


FOUR_CURRENCIES = invoices(2) + invoices(2, currency="USD") + invoices(2, currency="EUR") + invoices(2, currency="CAD")
LONG_NAME = CREDITOR.model_copy(
    update={
        "legal_name": "Comercializadora Internacional de Productos Industriales, Agrícolas y Ferreteros "
        "del Bajío y Occidente, S.A.P.I. de C.V."
    }
)


def test_a_long_legal_name_and_four_currencies_still_fit_by_dropping_the_clabe_first() -> None:
    text = sms(FOUR_CURRENCIES, creditor=LONG_NAME, reference="UNA-REFERENCIA-MUY-LARGA-0001")
    assert sms_segments(text)[1] <= SMS_MAX_SEGMENTS
    assert "UNA-REFERENCIA-MUY-LARGA-0001" in text and "USD" in text and "MXN" in text and "CAD" in text
    assert "CLABE" not in text and "Dudas: 55 0000 0000" in text  # the CLABE went first, the phone stayed
    assert "Occidente, S.A.P.I. de C.V. (RFC DEJ200101AA0)" in text and "Agricolas" in text  # no accents


LONGEST_NAME = CREDITOR.model_copy(
    update={
        "legal_name": "Comercializadora Internacional de Productos Industriales, Agrícolas, Mineros y Ferreteros "
        "del Bajío, Occidente, Sureste y Noreste de la República Mexicana, S.A.P.I. de C.V."
    }
)


@pytest.mark.parametrize(("language", "clause_kept"), [("en-US", True), ("es-MX", False)])
def test_when_even_the_phone_must_go_the_legal_identification_and_the_opt_out_stay(
    language: str, clause_kept: bool
) -> None:
    text = sms(FOUR_CURRENCIES, creditor=LONGEST_NAME, reference="UNA-REFERENCIA-MUY-LARGA-0001", language=language)
    assert sms_segments(text) == ("GSM-7", 3)
    assert "CLABE" not in text and "55 0000 0000" not in text  # the CLABE, then the desk's phone went
    assert ("overdue" in text or "vencida" in text) is clause_kept  # then the invoice count and oldest days
    assert "Sureste y Noreste de la Republica Mexicana, S.A.P.I. de C.V. (RFC DEJ200101AA0)" in text
    assert "$246,913.56 CAD" in text and "UNA-REFERENCIA-MUY-LARGA-0001" in text
    assert ("as of March 10, 2026" if clause_kept else "saldo al 10/03/2026") in text
    assert "UNE" in text and "55 0000 0001, une@example.com." in text
    assert text.endswith("Reply STOP to stop these SMS" if clause_kept else "Responda BAJA para no recibir SMS")
