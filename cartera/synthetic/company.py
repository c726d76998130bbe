"""The whole synthetic company in memory: customers → invoices → settlement → ERP rows.

Pure and deterministic: the same :class:`GenerationParams` give the same rows, whatever the
machine or the day (no wall clock; every date is relative to ``as_of``). Ids follow ``create_date``
as a real ERP's sequences do, and folios are numbered per year in that order.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from faker import Faker

from cartera.progress import Progress
from cartera.synthetic.book_options import BookOptions
from cartera.synthetic.business_days import BusinessCalendar, office_instant
from cartera.synthetic.customers import PAYMENT_TERMS, Customer, build_customers
from cartera.synthetic.documents import Move, build_invoice, issue_dates
from cartera.synthetic.fx import usd_rates
from cartera.synthetic.settlement import Allocation, Dispute, Payment, settle_customer
from cartera.synthetic.summary import GenerationParams

if TYPE_CHECKING:
    from cartera.synthetic.anomalies import EvaluationExtras

Row = tuple[Any, ...]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Company:
    """Rows per ERP table, each tuple in :data:`schema.COLUMNS` order, sorted by id."""

    tables: dict[str, list[Row]]
    # Labels and row history of an evaluation book (BookOptions.anomaly_rate / history); never ERP rows.
    extras: EvaluationExtras | None = None

    def counts(self) -> dict[str, int]:
        return {table: len(rows) for table, rows in self.tables.items()}


def history_start(as_of: dt.date, months: int) -> dt.date:
    """The first day of a ``months``-month history ending on ``as_of``."""
    month_index = as_of.year * 12 + as_of.month - 1 - months
    year, month = divmod(month_index, 12)
    # Clamp the day (as_of on the 31st, start month of 30 days), then start the day after.
    for day in (as_of.day, 30, 29, 28):
        try:
            return dt.date(year, month + 1, day) + dt.timedelta(days=1)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _ordered(items: Iterable[T], key: Any) -> list[T]:
    # Stable sort on the creation instant: ties keep generation order, which is deterministic.
    return sorted(items, key=key)


def build_company(params: GenerationParams, options: BookOptions | None = None) -> Company:
    """Generate every row of the ERP for ``params`` (``options``: a harder book; default none)."""
    options = options or BookOptions()
    as_of, start = params.as_of, history_start(params.as_of, params.months)
    rng = random.Random(params.seed)
    fake = Faker("es_MX")
    fake.seed_instance(params.seed)
    calendar = BusinessCalendar(start - dt.timedelta(days=7 * 365), as_of)
    customers = build_customers(rng, fake, params.customers, start=start, as_of=as_of, options=options)

    invoices: list[Move] = []
    credit_notes: list[Move] = []
    payments: list[Payment] = []
    disputes: list[Dispute] = []
    progress = Progress("generate customers' histories", total=len(customers), unit="customers")
    for customer in customers:
        progress.advance()
        # One stream per customer: a customer's history does not shift when another one changes.
        own = random.Random(params.seed * 1_000_003 + customer.no)
        issued = [
            build_invoice(own, customer, day, as_of, calendar) for day in issue_dates(own, customer, calendar, as_of)
        ]
        if options.mixed_terms:
            _mix_terms(issued, options, options.stream(params.seed, customer.no, 1))
        settlement = settle_customer(
            own,
            calendar,
            issued,
            as_of,
            options=options,
            start=start,
            drift_rng=options.stream(params.seed, customer.no, 2),
        )
        invoices += issued
        credit_notes += settlement.credit_notes
        payments += settlement.payments
        disputes += settlement.disputes
    progress.finish()

    partners = _ordered(customers, key=lambda c: c.created_at)
    partner_id = {customer.no: index for index, customer in enumerate(partners, start=1)}
    moves = _ordered(invoices + credit_notes, key=lambda m: m.created_at)
    _number(moves, lambda m: m.invoice_date.year, lambda m: "INV" if m.move_type == "out_invoice" else "RINV")
    payments = _ordered(payments, key=lambda p: p.created_at)
    _number(payments, lambda p: p.date.year, lambda p: "PBNK1")
    allocations = _ordered((a for p in payments for a in p.allocations), key=lambda a: a.created_at)
    disputes = _ordered(disputes, key=lambda d: d.created_at)
    for index, allocation in enumerate(allocations, start=1):
        allocation.id = index
    for index, dispute in enumerate(disputes, start=1):
        dispute.id = index

    company = Company(
        {
            "res_partner": [_partner_row(partner_id[c.no], c) for c in partners],
            "res_partner_contact": [_contact_row(partner_id[c.no], c) for c in partners],
            "account_move": [_move_row(partner_id, m) for m in moves],
            "account_move_line": _line_rows(moves),
            "account_payment": [_payment_row(partner_id, p) for p in payments],
            "account_partial_reconcile": [_allocation_row(a) for a in allocations],
            "collection_dispute": [_dispute_row(partner_id, d) for d in disputes],
            "res_currency_rate": _rate_rows(rng, calendar, start - dt.timedelta(days=45), as_of),
        }
    )
    if options.anomaly_rate or options.history:  # an evaluation book; the default never gets here
        from cartera.synthetic.anomalies import inject

        return inject(company, as_of=as_of, seed=params.seed, rate=options.anomaly_rate, history=options.history)
    return company


def _mix_terms(invoices: list[Move], options: BookOptions, rng: random.Random) -> None:
    """Each invoice its own credit terms, drawn from the book's mix (not the customer's)."""
    mix = options.payment_terms or PAYMENT_TERMS
    for invoice in invoices:
        invoice.invoice_date_due = invoice.invoice_date + dt.timedelta(days=_pick(rng, mix))


def _pick(rng: random.Random, weights: Any) -> int:
    return int(rng.choices(list(weights), weights=list(weights.values()))[0])


def _number(documents: list[Any], year: Any, prefix: Any) -> None:
    """Ids in creation order; folios ``PREFIX/YYYY/NNNNN`` counted per prefix and year."""
    counters: dict[tuple[str, int], int] = {}
    for index, document in enumerate(documents, start=1):
        document.id = index
        key = (prefix(document), year(document))
        counters[key] = counters.get(key, 0) + 1
        document.name = f"{key[0]}/{key[1]}/{counters[key]:05d}"


def _partner_row(pid: int, c: Customer) -> Row:
    return (
        pid,
        c.name,
        c.vat,
        c.tax_regime,
        "MX",
        c.state_code,
        c.city.name,
        c.zip,
        c.city.tz,
        c.industry,
        c.payment_term_days,
        _money(c.credit_limit_cents),
        c.credit_limit_currency,
        True,
        True,
        c.behaviour.value,
        c.created_at,
        c.write_date,
    )


def _contact_row(pid: int, c: Customer) -> Row:
    k = c.contact
    return (
        pid,
        pid,
        k.name,
        k.function,
        k.email,
        k.mobile,
        k.whatsapp_opt_in,
        k.email_opt_out,
        k.sms_opt_out,
        k.lang,
        k.preferred_channel,
        k.created_at,
        k.write_date,
    )


def _payment_state(m: Move) -> str:
    if m.move_type == "out_refund":
        return "paid"  # a credit note is reconciled against its invoice when issued
    if m.state == "cancel" or m.paid + m.credited == 0:
        return "not_paid"
    if m.residual > 0:
        return "partial"
    return "reversed" if m.credited == m.total else "paid"


def _move_row(partner_id: dict[int, int], m: Move) -> Row:
    reversed_id = m.reversed_entry.id if m.reversed_entry is not None else None
    return (
        m.id,
        m.name,
        m.move_type,
        partner_id[m.customer.no],
        m.invoice_date,
        m.invoice_date_due,
        m.currency,
        _money(m.untaxed),
        _money(m.tax),
        _money(m.total),
        _money(m.residual),
        _payment_state(m),
        m.state,
        reversed_id,
        m.cfdi_uuid,
        m.refund_reason,
        m.created_at,
        m.write_date,
    )


def _line_rows(moves: list[Move]) -> list[Row]:
    rows: list[Row] = []
    for m in moves:
        for line in m.lines:
            rows.append(
                (
                    len(rows) + 1,
                    m.id,
                    line.name,
                    line.code,
                    Decimal(line.quantity),
                    _money(line.price_unit),
                    Decimal(line.tax_percent).scaleb(-2),
                    _money(line.subtotal),
                    m.created_at,
                    m.created_at,
                )
            )
    return rows


def _payment_row(partner_id: dict[int, int], p: Payment) -> Row:
    return (
        p.id,
        p.name,
        partner_id[p.customer_no],
        p.date,
        p.currency,
        _money(p.amount),
        p.method,
        p.state,
        p.created_at,
        p.write_date,
    )


def _allocation_row(a: Allocation) -> Row:
    return (a.id, a.payment.id, a.invoice.id, _money(a.amount), a.max_date, a.created_at, a.created_at)


def _dispute_row(partner_id: dict[int, int], d: Dispute) -> Row:
    state = "resolved" if d.resolved is not None else "open"
    return (
        d.id,
        d.invoice.id,
        partner_id[d.invoice.customer.no],
        d.opened,
        d.resolved,
        d.reason,
        state,
        d.created_at,
        d.write_date,
    )


def _rate_rows(rng: random.Random, calendar: BusinessCalendar, start: dt.date, end: dt.date) -> list[Row]:
    rows: list[Row] = []
    for index, (day, rate) in enumerate(usd_rates(rng, calendar, start, end), start=1):
        # Banxico publishes the FIX around noon; weekends and holidays carry it, stamped the same way.
        stamp = office_instant(rng, day)
        rows.append((index, day, "USD", rate, stamp, stamp))
    return rows
