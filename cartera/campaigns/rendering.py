"""Render a customer's message of the day for its channel, from the Jinja2 templates in
``templates/<lang>/`` (e-mail) and :mod:`cartera.campaigns.short_texts` (SMS, WhatsApp).

One entry point, :func:`render_message`. Every rendering is a statement: each invoice with its
folio and CFDI UUID, issue and due date, days overdue or left (in the right number and tense,
:mod:`cartera.campaigns.wording`), amount and currency; totals per currency; the date the balance
was computed; how to pay (bank, CLABE, payment reference); whom to call; how to dispute; the
creditor's legal name and RFC; its complaints unit (UNE); the opt-out line. What the country's
content rules require is checked on the result by :mod:`cartera.campaigns.content_check`.

E-mail: each step template (``recordatorio_vencido.j2``…) defines three macros (subject, intro,
closing) in its tone; the layouts ``_email.txt.j2`` / ``_email.html.j2`` add the rest. HTML is
autoescaped; text is not. Languages: es-MX (default) and en-US.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import jinja2

from cartera.campaigns import short_texts, wording
from cartera.campaigns.candidates import OpenItem
from cartera.campaigns.creditor import Creditor
from cartera.campaigns.wording import money
from cartera.channels.whatsapp_templates import TemplateRegistry, registry_from_settings

TEMPLATES_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("es-MX", "en-US")
CHANNELS = ("email", "sms", "whatsapp")
__all__ = ["RenderedMessage", "money", "render_message"]


@dataclass(frozen=True)
class RenderedMessage:
    """A message ready for a channel. Contains personal data: never log it.

    `subject` and `html` are empty outside e-mail. For WhatsApp outside the 24-hour window
    `template` names the approved template and `template_variables` fill it; `template_text` is
    then the approved body filled with them (what the debtor reads, and what is checked), or None
    when the template registry does not hold that body (the message cannot be checked), and
    `text` is `template_text` when known, else the same content as free text. `language` is the
    one rendered (es-MX or en-US)."""

    subject: str
    text: str
    html: str
    template: str | None = None
    template_variables: dict[str, str] = field(default_factory=dict)
    template_text: str | None = None
    language: str = "es-MX"

    def __repr__(self) -> str:
        return (
            f"RenderedMessage(subject_len={len(self.subject)}, text_len={len(self.text)}, template={self.template!r})"
        )


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=len(LANGUAGES))
def _environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        undefined=jinja2.StrictUndefined,  # a missing variable is a bug, not an empty string
        keep_trailing_newline=True,
        # The templates ship with the package: not looked up on disk again at every rendering
        # (a stat per template, three per e-mail, ~10 % of rendering one); a process renders
        # with the templates it loaded first.
        auto_reload=False,
    )
    env.filters["money"] = money
    env.filters["fecha"] = partial(wording.date_text, language=language)
    env.filters["fecha_calculo"] = partial(wording.calculation_date_text, language=language)
    env.filters["facturas"] = partial(wording.invoices_text, language=language)
    env.filters["first_upper"] = _first_upper
    return env


def totals(invoices: tuple[OpenItem, ...]) -> list[dict[str, Any]]:
    """Open amount per currency, MXN first (amounts in different currencies are never added)."""
    sums: dict[str, Decimal] = {}
    for item in invoices:
        sums[item.currency] = sums.get(item.currency, Decimal(0)) + item.open_amount
    order = sorted(sums, key=lambda currency: (currency != "MXN", currency))
    return [{"currency": currency, "amount": sums[currency]} for currency in order]


def total_text(invoices: tuple[OpenItem, ...]) -> str:
    """'$12,345.67 MXN + $1,000.00 USD'."""
    return " + ".join(money(t["amount"], t["currency"]) for t in totals(invoices))


def statement_context(
    invoices: tuple[OpenItem, ...],
    as_of: dt.date,
    language: str,
    *,
    creditor: Creditor,
    contact_name: str | None,
    reference: str,
) -> dict[str, Any]:
    """What every rendering says, as template variables (invoices oldest due date first)."""
    invoices = tuple(sorted(invoices, key=lambda i: (i.due_date, i.invoice_number, i.invoice_id)))
    overdue = [wording.days_overdue(i.due_date, as_of) for i in invoices]
    return {
        "creditor": creditor,
        "company_name": creditor.legal_name,
        "contact_hours": creditor.contact_hours(language),
        "contact_name": (contact_name or "").strip() or None,
        "as_of": as_of,
        "reference": reference,
        "invoices": [
            {
                "number": i.invoice_number,
                "uuid": i.cfdi_uuid,
                "issue_date": i.issue_date,
                "due_date": i.due_date,
                "amount": i.open_amount,
                "currency": i.currency,
                "days_overdue": days,
                "status": wording.due_status(i.due_date, as_of, language),
            }
            for i, days in zip(invoices, overdue, strict=True)
        ],
        "totals": totals(invoices),
        "total_text": total_text(invoices),
        "count": len(invoices),
        "overdue_count": sum(1 for days in overdue if days > 0),
        "oldest_days_overdue": max(overdue, default=0),
        "summary": wording.balance_summary(len(invoices), sum(1 for days in overdue if days > 0), language),
    }


def _render_email(template: str, language: str, context: dict[str, Any]) -> RenderedMessage:
    env = _environment(language)
    # The step template's macros are rendered here, unescaped, as plain strings; the HTML layout
    # then escapes them like any other variable (a macro called from an autoescaped template
    # would come back as Markup with its variables unescaped).
    step = env.get_template(f"{language}/{template}.j2").make_module(context)
    subject = str(step.subject())  # type: ignore[attr-defined]  # macros are module attributes
    context = {
        **context,
        "intro": str(step.intro()).strip(),  # type: ignore[attr-defined]
        "closing": str(step.closing()).strip(),  # type: ignore[attr-defined]
    }
    text = env.get_template(f"{language}/_email.txt.j2").render(context)
    html = env.get_template(f"{language}/_email.html.j2").render(context)
    return RenderedMessage(subject=" ".join(subject.split()), text=text, html=html, language=language)


def render_message(
    channel: str,
    template: str,
    language: str,
    *,
    invoices: tuple[OpenItem, ...],
    as_of: dt.date,
    creditor: Creditor,
    contact_name: str | None,
    reference: str,
    window_open: bool = False,
    templates: TemplateRegistry | None = None,
) -> RenderedMessage:
    """Render the message of step `template` for `channel` in `language` (unknown languages fall
    back to es-MX). `as_of` is the date the balance was computed; days overdue count from it.
    `window_open`: the debtor wrote on WhatsApp in the last 24 hours (free text allowed).
    `templates`: the approved WhatsApp templates (default: CARTERA_WHATSAPP_TEMPLATES_FILE).

    Raises jinja2.TemplateNotFound when the playbook names a template that does not exist, and
    ValueError for an unknown channel or an empty invoice list."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if not invoices:
        raise ValueError("a message lists at least one invoice")
    language = language if language in LANGUAGES else "es-MX"
    context = statement_context(
        invoices, as_of, language, creditor=creditor, contact_name=contact_name, reference=reference
    )
    if channel == "email":
        return _render_email(template, language, context)
    if channel == "sms":
        return RenderedMessage(subject="", text=short_texts.sms_text(context, language), html="", language=language)
    body = short_texts.whatsapp_text(context, language)
    if window_open:
        return RenderedMessage(subject="", text=body, html="", language=language)
    variables = short_texts.whatsapp_variables(context, language)
    approved = (templates if templates is not None else registry_from_settings()).get(
        short_texts.WHATSAPP_TEMPLATE, language
    )
    template_text = approved.render(variables) if approved is not None else None
    return RenderedMessage(
        subject="",
        text=template_text or body,
        html="",
        template=short_texts.WHATSAPP_TEMPLATE,
        template_variables=variables,
        template_text=template_text,
        language=language,
    )
