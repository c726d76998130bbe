"""Render a reminder (subject, text, HTML) from the Jinja2 templates in ``templates/<lang>/``.

Each step template (``recordatorio_vencido.j2``…) defines three macros (subject, intro, closing)
in its tone, rendered to plain strings; the layouts ``_email.txt.j2`` / ``_email.html.j2`` add the greeting, the invoice list
(numbers, due dates, amounts Mexican-style: ``$12,345.67 MXN``), the totals per currency, the
date the balance was computed, the company name, a reference and the opt-out line. HTML is
autoescaped; text is not. Languages: es-MX (default) and en-US.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from cartera.campaigns.candidates import OpenItem

TEMPLATES_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("es-MX", "en-US")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class RenderedMessage:
    """A message ready for a channel. Contains personal data: never log it."""

    subject: str
    text: str
    html: str

    def __repr__(self) -> str:
        return f"RenderedMessage(subject_len={len(self.subject)}, text_len={len(self.text)})"


def money(amount: Decimal | float | int, currency: str = "MXN") -> str:
    """Mexican-style amount: ``$12,345.67 MXN`` (comma thousands, point decimals, code after)."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f} {currency}"


def _fecha_es(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _fecha_en(day: dt.date) -> str:
    return f"{_EN_MONTHS[day.month - 1]} {day.day}, {day.year}"


@lru_cache(maxsize=len(LANGUAGES))
def _environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        undefined=jinja2.StrictUndefined,  # a missing variable is a bug, not an empty string
        keep_trailing_newline=True,
    )
    env.filters["money"] = money
    env.filters["fecha"] = _fecha_es if language == "es-MX" else _fecha_en
    return env


def _totals(invoices: tuple[OpenItem, ...]) -> list[dict[str, Any]]:
    sums: dict[str, Decimal] = {}
    for item in invoices:
        sums[item.currency] = sums.get(item.currency, Decimal(0)) + item.open_amount
    order = sorted(sums, key=lambda currency: (currency != "MXN", currency))
    return [{"currency": currency, "amount": sums[currency]} for currency in order]


def render_reminder(
    template: str,
    language: str,
    *,
    invoices: tuple[OpenItem, ...],
    as_of: dt.date,
    company_name: str,
    contact_name: str | None,
    reference: str,
) -> RenderedMessage:
    """Render step `template` in `language` (unknown languages fall back to es-MX).

    Raises jinja2.TemplateNotFound when the playbook names a template that does not exist.
    """
    language = language if language in LANGUAGES else "es-MX"
    env = _environment(language)
    context: dict[str, Any] = {
        "company_name": company_name,
        "contact_name": (contact_name or "").strip() or None,
        "as_of": as_of,
        "reference": reference,
        "invoices": [
            {"number": i.invoice_number, "due_date": i.due_date, "amount": i.open_amount, "currency": i.currency}
            for i in invoices
        ],
        "totals": _totals(invoices),
    }
    # The step template's macros are rendered here, unescaped, as plain strings; the HTML layout
    # then escapes them like any other variable (a macro called from an autoescaped template
    # would come back as Markup with its variables unescaped).
    step = env.get_template(f"{language}/{template}.j2").make_module(context)
    subject = str(step.subject())  # type: ignore[attr-defined]  # macros are module attributes
    context["intro"] = str(step.intro()).strip()  # type: ignore[attr-defined]
    context["closing"] = str(step.closing()).strip()  # type: ignore[attr-defined]
    text = env.get_template(f"{language}/_email.txt.j2").render(context)
    html = env.get_template(f"{language}/_email.html.j2").render(context)
    return RenderedMessage(subject=" ".join(subject.split()), text=text, html=html)
