"""Words that follow number and tense, in Mexican Spanish (es-MX) and US English (en-US).

A statement speaks of one invoice or several, of a due date still ahead, today, or past: "1
factura" / "3 facturas", "vence el 16/11/2026", "vence hoy", "venció el 16/11/2026 y lleva 9 días
vencida"; "is due on", "is due today", "was due on … and is 1 day overdue". Dates as each language
writes them (16/11/2026; Nov 16, 2026). Nothing here reads the clock: days are counted from the
date the balance was computed.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EN_MONTHS_LONG = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def money(amount: Decimal | float | int, currency: str = "MXN") -> str:
    """Mexican-style amount: ``$12,345.67 MXN`` (comma thousands, point decimals, code after)."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f} {currency}"


def is_english(language: str) -> bool:
    return language.lower().startswith("en")


def date_text(day: dt.date, language: str) -> str:
    """16/11/2026 (es-MX) or Nov 16, 2026 (en-US)."""
    if is_english(language):
        return f"{_EN_MONTHS[day.month - 1]} {day.day}, {day.year}"
    return day.strftime("%d/%m/%Y")


def calculation_date_text(day: dt.date, language: str) -> str:
    """The date the balance was calculated, as the content rules read it: 10/03/2026 (es-MX) or
    March 10, 2026 (en-US; the month in full, as MX-CONDUSEF-2014/calculation_date looks for it)."""
    if is_english(language):
        return f"{_EN_MONTHS_LONG[day.month - 1]} {day.day}, {day.year}"
    return day.strftime("%d/%m/%Y")


def count_of(n: int, singular: str, plural: str) -> str:
    """'1 factura', '2 facturas' (the noun agrees with the number)."""
    return f"{n} {singular if n == 1 else plural}"


def invoices_text(n: int, language: str) -> str:
    return count_of(n, "invoice", "invoices") if is_english(language) else count_of(n, "factura", "facturas")


def days_text(n: int, language: str) -> str:
    return count_of(n, "day", "days") if is_english(language) else count_of(n, "día", "días")


def days_overdue(due_date: dt.date, as_of: dt.date) -> int:
    """Days past the due date on `as_of` (negative: days left until it)."""
    return (as_of - due_date).days


def due_status(due_date: dt.date, as_of: dt.date, language: str) -> str:
    """How an invoice stands on `as_of`, in the right tense:

    es: "vence el 16/03/2026 (faltan 6 días)", "vence hoy", "venció el 01/03/2026 y lleva 9 días vencida";
    en: "is due on Mar 16, 2026 (6 days left)", "is due today", "was due on Mar 1, 2026 and is 9 days overdue".
    """
    days = days_overdue(due_date, as_of)
    when = date_text(due_date, language)
    if is_english(language):
        if days == 0:
            return "is due today"
        if days < 0:
            return f"is due on {when} ({days_text(-days, language)} left)"
        return f"was due on {when} and is {days_text(days, language)} overdue"
    if days == 0:
        return "vence hoy"
    if days < 0:
        left = "falta" if days == -1 else "faltan"
        return f"vence el {when} ({left} {days_text(-days, language)})"
    return f"venció el {when} y lleva {days_text(days, language)} vencida"


def balance_summary(count: int, overdue: int, language: str) -> str:
    """One clause about the customer's open invoices: how many, and how many are past due.

    es: "su factura ya pasó su fecha de vencimiento", "2 de sus 3 facturas ya pasaron su fecha de
    vencimiento", "ninguna de sus 2 facturas ha vencido aún"; en likewise."""
    if is_english(language):
        if overdue == 0:
            return "your invoice is not yet due" if count == 1 else f"none of your {count} invoices is due yet"
        if overdue == count:
            return (
                "your invoice is past its due date" if count == 1 else f"your {count} invoices are past their due date"
            )
        verb = "is past its" if overdue == 1 else "are past their"
        return f"{overdue} of your {count} invoices {verb} due date"
    if overdue == 0:
        return "su factura aún no vence" if count == 1 else f"ninguna de sus {count} facturas ha vencido aún"
    if overdue == count:
        if count == 1:
            return "su factura ya pasó su fecha de vencimiento"
        return f"sus {count} facturas ya pasaron su fecha de vencimiento"
    verb = "ya pasó" if overdue == 1 else "ya pasaron"
    return f"{overdue} de sus {count} facturas {verb} su fecha de vencimiento"
