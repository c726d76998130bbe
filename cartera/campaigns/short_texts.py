"""The short renderings of a statement: SMS, and WhatsApp (free text inside the 24-hour window,
the approved ``recordatorio_saldo`` utility template outside it).

Every text carries what the content rules of the packs require (docs/contact_policy.md): the
creditor's legal name and RFC, the amount owed with the date it was calculated, the contact of
the creditor's complaints unit (UNE), and how to opt out.

SMS budget: at most :data:`SMS_MAX_SEGMENTS` segments where the content allows. Spanish ``á í ó ú``
are not in GSM-7 and turn the whole text into UCS-2 (70 characters a segment instead of 160),
so the SMS is written with accents only when it still fits; otherwise the same words without
them (the usual Mexican SMS spelling), then without the CLABE, then without the collections
desk's phone, then without the invoice count and the oldest days overdue. What the law requires
(the identification above), the payment reference and the opt-out line are never dropped: a
text that is still too long goes out longer rather than without them.
``context`` is :func:`rendering.statement_context`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cartera.campaigns import wording
from cartera.channels.sms_segments import sms_segments

SMS_MAX_SEGMENTS = 3  # 459 GSM-7 characters: the MX identification needs about 150 of them
WHATSAPP_TEMPLATE = "recordatorio_saldo"
# {{1}}…{{7}} of the approved template (its body per language: whatsapp_templates.demo.yml)
WHATSAPP_VARIABLES = ("acreedor", "rfc", "fecha_calculo", "total", "facturas", "referencia", "une")
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
    on = wording.calculation_date_text(context["as_of"], language)
    who = f"{creditor.legal_name} (RFC {creditor.rfc})"
    if wording.is_english(language):
        head = f"{who}: balance as of {on}: {context['total_text']}"
        pay = f" Pay by SPEI to CLABE {creditor.clabe}, ref {context['reference']}."
        short_pay = f" Payment ref {context['reference']}."
        phone = f" Questions: {creditor.contact_phone}."
        une = f" Complaints (UNE): {creditor.une_contact}."
    else:
        head = f"{who}: saldo al {on}: {context['total_text']}"
        pay = f" Pague por SPEI a la CLABE {creditor.clabe}, ref. {context['reference']}."
        short_pay = f" Referencia de pago: {context['reference']}."
        phone = f" Dudas: {creditor.contact_phone}."
        une = f" Quejas UNE: {creditor.une_contact}."
    detail = f"{head} ({invoices}); {clause}."
    opt_out = f" {OPT_OUT_SMS[_lang(language)]}"
    full = detail + pay + phone + une + opt_out
    return [
        full,
        full.translate(_PLAIN),
        (detail + short_pay + phone + une + opt_out).translate(_PLAIN),
        (detail + short_pay + une + opt_out).translate(_PLAIN),
        (head + "." + short_pay + une + opt_out).translate(_PLAIN),
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
            f"Balance as of {wording.calculation_date_text(context['as_of'], language)}: {context['total_text']} "
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
        lines.append(f"Complaints: our Specialized Unit for User Attention (UNE), {creditor.une_contact}.")
    else:
        lines.append(f"Hola{' ' + name if name else ''}, le escribimos de {creditor.legal_name} (RFC {creditor.rfc}).")
        lines.append(
            f"Saldo al {wording.calculation_date_text(context['as_of'], language)}: {context['total_text']} "
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
        lines.append(f"Quejas: Unidad Especializada de Atención a Usuarios (UNE), {creditor.une_contact}.")
    lines.append(OPT_OUT_WHATSAPP[_lang(language)])
    return "\n".join(lines)


def whatsapp_variables(context: Mapping[str, Any], language: str) -> dict[str, str]:
    """The ``recordatorio_saldo`` template's variables (:data:`WHATSAPP_VARIABLES`): the creditor's
    legal name and RFC, the calculation date, the total, the invoice count ('2 facturas'), the
    payment reference and the complaints unit's contact, in `language`."""
    creditor = context["creditor"]
    return {
        "acreedor": str(creditor.legal_name),
        "rfc": str(creditor.rfc),
        "fecha_calculo": wording.calculation_date_text(context["as_of"], language),
        "total": str(context["total_text"]),
        "facturas": wording.invoices_text(int(context["count"]), language),
        "referencia": str(context["reference"]),
        "une": str(creditor.une_contact),
    }


def _money(invoice: Mapping[str, Any]) -> str:
    return wording.money(invoice["amount"], str(invoice["currency"]))
