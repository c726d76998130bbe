"""The short renderings of a statement: SMS, and WhatsApp (free text inside the 24-hour window,
the approved ``recordatorio_saldo`` utility template outside it).

SMS budget: at most :data:`SMS_MAX_SEGMENTS` segments where the content allows. Spanish ``á í ó ú``
are not in GSM-7 and turn the whole text into UCS-2 (70 characters a segment instead of 160),
so the SMS is written with accents only when it still fits; otherwise the same words without
them (the usual Mexican SMS spelling), then without the CLABE, then without the phone. The
creditor's name, the total, the invoice count, the oldest days overdue, the payment reference
and the opt-out line are always there. ``context`` is :func:`rendering.statement_context`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cartera.campaigns import wording
from cartera.channels.sms_segments import sms_segments

SMS_MAX_SEGMENTS = 2
WHATSAPP_TEMPLATE = "recordatorio_saldo"
WHATSAPP_VARIABLES = ("acreedor", "total", "facturas", "referencia")  # {{1}}…{{4}} of the approved template
OPT_OUT_SMS = {"es": "Responda BAJA para no recibir SMS", "en": "Reply STOP to stop these SMS"}
OPT_OUT_WHATSAPP = {
    "es": "Responda BAJA para no recibir mensajes por WhatsApp.",
    "en": "Reply STOP to stop these WhatsApp messages.",
}
_PLAIN = str.maketrans("áíóúÁÍÓÚ", "aiouAIOU")  # é ñ ü ¿ ¡ are GSM-7 and stay


def _lang(language: str) -> str:
    return "en" if wording.is_english(language) else "es"


def oldest_clause(context: Mapping[str, Any], language: str) -> str:
    """How the most overdue invoice stands: 'la más antigua lleva 9 días vencida', 'vence hoy'…"""
    days = int(context["oldest_days_overdue"])
    several = int(context["count"]) > 1
    if wording.is_english(language):
        if days > 0:
            return f"{'the oldest is' if several else 'it is'} {wording.days_text(days, language)} overdue"
        if days == 0:
            return f"{'the first is' if several else 'it is'} due today"
        return f"{'the first is' if several else 'it is'} due in {wording.days_text(-days, language)}"
    if days > 0:
        return f"{'la más antigua lleva' if several else 'lleva'} {wording.days_text(days, language)} vencida"
    if days == 0:
        return f"{'la primera vence' if several else 'vence'} hoy"
    return f"{'la primera vence' if several else 'vence'} en {wording.days_text(-days, language)}"


def _sms_variants(context: Mapping[str, Any], language: str) -> list[str]:
    creditor = context["creditor"]
    invoices = wording.invoices_text(int(context["count"]), language)
    clause = oldest_clause(context, language)
    if wording.is_english(language):
        head = f"{creditor.short_name}: balance due {context['total_text']} ({invoices}); {clause}."
        pay = f" Pay by SPEI to CLABE {creditor.clabe}, ref {context['reference']}."
        short_pay = f" Payment ref {context['reference']}."
        phone = f" Questions: {creditor.contact_phone}."
    else:
        head = f"{creditor.short_name}: saldo pendiente {context['total_text']} ({invoices}); {clause}."
        pay = f" Pague por SPEI a la CLABE {creditor.clabe}, ref. {context['reference']}."
        short_pay = f" Referencia de pago: {context['reference']}."
        phone = f" Dudas: {creditor.contact_phone}."
    opt_out = f" {OPT_OUT_SMS[_lang(language)]}"
    full = head + pay + phone + opt_out
    return [
        full,
        full.translate(_PLAIN),
        (head + short_pay + phone + opt_out).translate(_PLAIN),
        (head + short_pay + opt_out).translate(_PLAIN),
    ]


def sms_text(context: Mapping[str, Any], language: str) -> str:
    """The statement as one SMS: the first variant within SMS_MAX_SEGMENTS, else the shortest."""
    variants = _sms_variants(context, language)
    for text in variants:
        if sms_segments(text)[1] <= SMS_MAX_SEGMENTS:
            return text
    return variants[-1]


def whatsapp_text(context: Mapping[str, Any], language: str) -> str:
    """Free text for WhatsApp inside the 24-hour window: the statement, line by line."""
    creditor = context["creditor"]
    lines: list[str] = []
    name = context["contact_name"]
    if wording.is_english(language):
        lines.append(f"Hello{' ' + name if name else ''}, this is {creditor.legal_name} (RFC {creditor.rfc}).")
        lines.append(
            f"Balance as of {wording.date_text(context['as_of'], language)}: {context['total_text']} "
            f"({wording.invoices_text(int(context['count']), language)}); {context['summary']}."
        )
        for inv in context["invoices"]:
            lines.append(f"- Invoice {inv['number']}: {inv['status']}; balance {_money(inv)}")
        lines.append(
            f"Pay by SPEI to {creditor.bank_name}, CLABE {creditor.clabe}, payment reference {context['reference']}."
        )
        lines.append(
            f"Questions: {creditor.contact_name}, {creditor.contact_phone} ({context['contact_hours']}). "
            "If an invoice is wrong, reply here and tell us why."
        )
    else:
        lines.append(f"Hola{' ' + name if name else ''}, le escribimos de {creditor.legal_name} (RFC {creditor.rfc}).")
        lines.append(
            f"Saldo al {wording.date_text(context['as_of'], language)}: {context['total_text']} "
            f"({wording.invoices_text(int(context['count']), language)}); {context['summary']}."
        )
        for inv in context["invoices"]:
            lines.append(f"- Factura {inv['number']}: {inv['status']}; saldo {_money(inv)}")
        lines.append(
            f"Pago por SPEI a {creditor.bank_name}, CLABE {creditor.clabe}, referencia de pago {context['reference']}."
        )
        lines.append(
            f"Dudas: {creditor.contact_name}, {creditor.contact_phone} ({context['contact_hours']}). "
            "Si alguna factura tiene un problema, respóndanos aquí y díganos cuál."
        )
    lines.append(OPT_OUT_WHATSAPP[_lang(language)])
    return "\n".join(lines)


def whatsapp_variables(context: Mapping[str, Any]) -> dict[str, str]:
    """The ``recordatorio_saldo`` template's variables: creditor, total, invoice count, reference."""
    return {
        "acreedor": str(context["creditor"].short_name),
        "total": str(context["total_text"]),
        "facturas": str(context["count"]),
        "referencia": str(context["reference"]),
    }


def _money(invoice: Mapping[str, Any]) -> str:
    return wording.money(invoice["amount"], str(invoice["currency"]))
