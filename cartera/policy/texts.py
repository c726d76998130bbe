"""The Spanish and English sentence for every reason code (one place, so wording stays consistent
and a new code without a sentence fails the tests rather than reaching a collector blank)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "outside_contact_window": (
        "Fuera del horario legal de contacto ({window_es}, hora local del deudor).",
        "Outside the legal contact hours ({window_en}, debtor-local time).",
    ),
    "frequency_cap": (
        "Se alcanzó el límite de contactos: {summary_es}.",
        "The contact limit was reached: {summary_en}.",
    ),
    "cooldown_after_contact": (
        "Hubo una conversación reciente con el deudor; no se vuelve a contactar por este canal antes de {hours} h.",
        "There was a recent conversation with the debtor; no contact on this channel for {hours} h.",
    ),
    "quiet_after_payment": (
        "El cliente pagó recientemente; periodo de silencio tras un pago.",
        "The customer paid recently; quiet period after a payment.",
    ),
    "paused_after_bounce": (
        "El último envío por este canal rebotó o falló; el canal está en pausa.",
        "The last message on this channel bounced or failed; the channel is paused.",
    ),
    "hold_promise_to_pay": (
        "Hay una promesa de pago vigente; no se cobra antes de su fecha más el margen.",
        "A promise to pay is in force; no collection before its date plus grace.",
    ),
    "hold_dispute": ("La deuda está en disputa.", "The debt is disputed."),
    "hold_do_not_contact": ("El cliente está marcado como «no contactar».", "The customer is marked do-not-contact."),
    "hold_legal": (
        "La deuda está en proceso legal; se suspende la cobranza extrajudicial.",
        "The debt is in legal proceedings; out-of-court collection stops.",
    ),
    "hold_unknown": (
        "Hay una suspensión de un tipo que ninguna regla conoce; no se envía.",
        "There is a hold of a kind no rule knows; nothing is sent.",
    ),
    "opted_out": (
        "El cliente pidió no recibir mensajes por este canal (efecto inmediato).",
        "The customer opted out of this channel (effective at once).",
    ),
    "no_whatsapp_opt_in": (
        "El cliente no dio su consentimiento (opt-in) para WhatsApp.",
        "The customer has not opted in to WhatsApp.",
    ),
    "channel_not_authorised": (
        "El cliente no autorizó este canal de contacto.",
        "The customer has not authorised this contact channel.",
    ),
    "channel_disabled": (
        "El acreedor no usa este canal.",
        "The creditor does not use this channel.",
    ),
    "unknown_channel": ("Canal de contacto desconocido.", "Unknown contact channel."),
    "invoice_paid": (
        "Una factura del mensaje ya fue pagada; hay que rehacer el mensaje sin ella.",
        "An invoice of the message has been paid; the message must be rebuilt without it.",
    ),
    "no_invoices": ("El mensaje no tiene facturas por cobrar.", "The message has no invoices to collect."),
    "no_rule_pack": (
        "No hay reglas de contacto para el país del cliente; no se envía.",
        "There is no contact rule pack for the customer's country; nothing is sent.",
    ),
    "recipient_not_allowed": (
        "La ley no permite enviar cobranza a este destinatario ({role_es}).",
        "The law does not allow collection messages to this recipient ({role_en}).",
    ),
    "content_missing": (
        "Al texto del mensaje le falta un elemento obligatorio ({item}).",
        "The message text lacks a required element ({item}).",
    ),
    "content_prohibited": (
        "El texto del mensaje contiene una frase prohibida («{item}»).",
        "The message text contains a prohibited phrase ('{item}').",
    ),
    "content_unchecked_language": (
        "No hay reglas de contenido para el idioma del mensaje ({item}); no se envía sin revisar.",
        "There are no content rules for the message's language ({item}); it is not sent unchecked.",
    ),
    "no_allowed_instant": (
        "Ningún momento cercano cumple todas las reglas; no se envía.",
        "No instant in the search horizon meets every rule; nothing is sent.",
    ),
}


def sentence(code: str, **values: str) -> tuple[str, str]:
    """(es, en) for a reason code, with its placeholders filled."""
    es, en = TEXTS[code]
    return es.format(**values), en.format(**values)


_PERIOD = {
    "day": ("por día local", "per local day"),
    "week": ("por semana local (lun–dom)", "per local week (Mon–Sun)"),
}
_CHANNEL_ES = {"email": "correo", "sms": "SMS", "whatsapp": "WhatsApp", "call": "llamada"}


def describe_cap(
    max_count: int,
    period: str,
    days: int | None,
    count: str,
    channels: frozenset[str],
    per_debt: bool,
    min_gap_hours: float,
) -> tuple[str, str]:
    """(es, en) description of a cap, e.g. "máx. 2 mensajes en 7 días (SMS, correo), 48 h entre ellos"."""
    if period == "rolling":
        per_es, per_en = f"en cualquier lapso de {days} días", f"in any {days} days"
    elif period == "consecutive_days":
        per_es = f"en cualquier periodo de {days} días naturales consecutivos (hora local)"
        per_en = f"within any {days} consecutive local calendar days"
    else:
        per_es, per_en = _PERIOD[period]
    unit_es, unit_en = ("canales", "channels") if count == "channels" else ("contactos", "contacts")
    all_channels = len(channels) >= 4
    names_es = "todos los canales" if all_channels else ", ".join(_CHANNEL_ES[c] for c in sorted(channels))
    names_en = "all channels" if all_channels else ", ".join(sorted(channels))
    es = f"máx. {max_count} {unit_es} {per_es} ({names_es})"
    en = f"at most {max_count} {unit_en} {per_en} ({names_en})"
    if per_debt:
        es, en = es + " por deuda", en + " per debt"
    if min_gap_hours:
        es, en = es + f", al menos {min_gap_hours:g} h entre ellos", en + f", at least {min_gap_hours:g} h apart"
    return es, en
