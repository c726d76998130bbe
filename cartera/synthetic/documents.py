"""Invoices (with their product lines) and credit notes of one customer.

Amounts are kept in integer cents while generating so every identity (lines → untaxed, untaxed +
tax → total, allocations + credits ≤ total) holds exactly; the writer turns them into numeric(18,2).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field

from cartera.synthetic.business_days import BusinessCalendar, office_instant
from cartera.synthetic.customers import Customer
from cartera.synthetic.reference import INDUSTRIES

_BUSINESS_DAYS_PER_MONTH = 21
_SEASONALITY = {1: 0.75, 2: 0.9, 11: 1.1, 12: 1.3}  # January slow, year-end rush
_USD_PRICE_DIVISOR = 18.5  # USD list prices were set from MXN ones at about this rate
CANCEL_PROBABILITY = 0.008


@dataclass(frozen=True, slots=True)
class Line:
    code: str
    name: str
    quantity: int
    price_unit: int  # cents
    tax_percent: int  # 16 or 8 (border zone)
    subtotal: int  # cents


@dataclass(slots=True, eq=False)
class Move:
    """An invoice (``out_invoice``) or credit note (``out_refund``); mutable while it is settled."""

    customer: Customer
    move_type: str
    invoice_date: dt.date
    invoice_date_due: dt.date
    currency: str
    lines: list[Line]
    untaxed: int
    tax: int
    total: int
    cfdi_uuid: str
    created_at: dt.datetime
    write_date: dt.datetime
    state: str = "posted"
    reversed_entry: Move | None = None
    refund_reason: str | None = None
    paid: int = 0  # cents allocated from payments up to as_of
    credited: int = 0  # cents of posted credit notes against it
    credit_notes: list[Move] = field(default_factory=list)
    id: int = 0
    name: str = ""

    @property
    def residual(self) -> int:
        return 0 if self.state == "cancel" or self.move_type == "out_refund" else self.total - self.paid - self.credited


def cfdi_uuid(rng: random.Random) -> str:
    """A version-4 UUID for the CFDI stamp (folio fiscal), upper case as the SAT prints it."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()


def _tax(untaxed: int, percent: int) -> int:
    return (untaxed * percent + 50) // 100  # round half up to the cent, as the CFDI requires


def issue_dates(rng: random.Random, customer: Customer, calendar: BusinessCalendar, as_of: dt.date) -> list[dt.date]:
    """The business days on which the customer is invoiced: its first day, then a Poisson-like stream."""
    last = min(customer.last_day, as_of)
    first = calendar.on_or_after(customer.first_day)
    if first > as_of:
        first = calendar.on_or_before(as_of)
    days = [first]
    for day in calendar.between(first + dt.timedelta(days=1), last):
        chance = customer.invoices_per_month * _SEASONALITY.get(day.month, 1.0) / _BUSINESS_DAYS_PER_MONTH
        while chance > 0:  # very active customers get several invoices on one day
            if rng.random() < min(chance, 0.9):
                days.append(day)
            chance -= 1
    return days


def build_invoice(
    rng: random.Random, customer: Customer, day: dt.date, as_of: dt.date, calendar: BusinessCalendar
) -> Move:
    """One posted (or, rarely, cancelled) invoice issued on ``day``."""
    currency = "USD" if rng.random() < customer.usd_share else "MXN"
    tax_percent = 8 if customer.city.border_zone and rng.random() < 0.85 else 16
    target = customer.median_invoice_mxn * rng.lognormvariate(0, 0.5)
    n_lines = 1 + min(int(rng.expovariate(1 / 1.2)), 4)
    lines = []
    for _ in range(n_lines):
        product = rng.choice(INDUSTRIES[customer.industry])
        price = rng.randint(product.min_price * 100, product.max_price * 100)
        if currency == "USD":
            price = max(1, round(price / _USD_PRICE_DIVISOR))
        line_target = (
            target / n_lines * rng.uniform(0.5, 1.5) * (1 / _USD_PRICE_DIVISOR if currency == "USD" else 1) * 100
        )
        quantity = max(1, round(line_target / price))
        lines.append(Line(product.code, product.name, quantity, price, tax_percent, quantity * price))
    untaxed = sum(line.subtotal for line in lines)
    tax = _tax(untaxed, tax_percent)
    created = office_instant(rng, day)
    move = Move(
        customer,
        "out_invoice",
        day,
        day + dt.timedelta(days=customer.payment_term_days),
        currency,
        lines,
        untaxed,
        tax,
        untaxed + tax,
        cfdi_uuid(rng),
        created,
        created,
    )
    if rng.random() < CANCEL_PROBABILITY:
        # CFDI cancelled within days (wrong data, re-issued): a later write, never after as_of.
        cancel_day = min(calendar.on_or_after(day + dt.timedelta(days=rng.randint(0, 5))), as_of)
        move.state = "cancel"
        move.write_date = office_instant(rng, cancel_day, not_before=created)
    return move


def build_credit_note(rng: random.Random, invoice: Move, day: dt.date, fraction: float, reason: str) -> Move:
    """A credit note for ``fraction`` (0-1] of ``invoice``'s untaxed amount, issued on ``day``;
    its total never exceeds what is still owed on the invoice when it is issued."""
    rate = invoice.lines[0].tax_percent
    untaxed = invoice.untaxed if fraction >= 1 else max(1, round(invoice.untaxed * fraction))
    tax = invoice.tax if fraction >= 1 else _tax(untaxed, rate)
    line = Line("BONIF", f"{reason} (factura {invoice.cfdi_uuid[:8]})", 1, untaxed, rate, untaxed)
    created = office_instant(rng, day, not_before=invoice.created_at)
    note = Move(
        invoice.customer,
        "out_refund",
        day,
        day,
        invoice.currency,
        [line],
        untaxed,
        tax,
        untaxed + tax,
        cfdi_uuid(rng),
        created,
        created,
        reversed_entry=invoice,
        refund_reason=reason,
    )
    invoice.credited += note.total
    invoice.credit_notes.append(note)
    invoice.write_date = max(invoice.write_date, created)
    return note
