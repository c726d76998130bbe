"""How one customer's invoices get settled up to ``as_of``: disputes, credit notes, payments and
their allocation to invoices.

For each posted invoice the customer's behaviour gives an intended settlement day; a dispute
delays it until resolved (an open dispute blocks it), a credit note lowers what is owed, some
invoices are paid in two instalments, and customers that batch pay every invoice falling due within
a window with one transfer. Nothing is dated after ``as_of``: an intended day after it leaves the
invoice open. Allocations of a payment never exceed it; allocations plus credit notes of an invoice
never exceed its total.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from cartera.synthetic.behaviours import Behaviour, lateness_days
from cartera.synthetic.book_options import BookOptions
from cartera.synthetic.business_days import BusinessCalendar, office_instant
from cartera.synthetic.documents import Move, build_credit_note

_DAY = dt.timedelta(days=1)
DISPUTE_PROBABILITY = {Behaviour.EXEMPLARY: 0.01, Behaviour.CHRONIC_LATE: 0.035}  # others: 0.02
DISPUTE_REASONS = (
    "pricing_error",
    "damaged_goods",
    "short_shipment",
    "duplicate_invoice",
    "not_ordered",
    "quality_issue",
)
REFUND_REASONS = (
    "Devolución de mercancía",
    "Descuento por volumen",
    "Bonificación por daño en transporte",
    "Diferencia de precio",
)
CREDIT_NOTE_PROBABILITY = 0.027
SPLIT_PAYMENT_PROBABILITY = 0.07


@dataclass(slots=True, eq=False)
class Payment:
    customer_no: int
    date: dt.date
    currency: str
    amount: int  # cents
    method: str
    created_at: dt.datetime
    write_date: dt.datetime
    state: str = "posted"
    allocations: list[Allocation] = field(default_factory=list)
    id: int = 0
    name: str = ""


@dataclass(slots=True, eq=False)
class Allocation:
    payment: Payment
    invoice: Move
    amount: int  # cents
    max_date: dt.date
    created_at: dt.datetime
    id: int = 0


@dataclass(slots=True, eq=False)
class Dispute:
    invoice: Move
    opened: dt.date
    resolved: dt.date | None
    reason: str
    created_at: dt.datetime
    write_date: dt.datetime
    id: int = 0


@dataclass(slots=True)
class Settlement:
    """What settling one customer's invoices produced."""

    credit_notes: list[Move] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)


def _settlement_day(calendar: BusinessCalendar, invoice: Move, late: int) -> dt.date:
    target = max(invoice.invoice_date + _DAY, invoice.invoice_date_due + dt.timedelta(days=late))
    # Punctual payers move a weekend due date earlier (stay on time); late ones pay on the next business day.
    day = calendar.on_or_before(target) if late <= 0 else calendar.on_or_after(target)
    return day if day > invoice.invoice_date else calendar.on_or_after(invoice.invoice_date + _DAY)


def _random_day_between(
    rng: random.Random, calendar: BusinessCalendar, after: dt.date, before: dt.date
) -> dt.date | None:
    """A business day strictly between ``after`` and ``before``, or None if there is none."""
    span = (before - after).days
    if span < 2:
        return None
    day = calendar.on_or_after(after + dt.timedelta(days=rng.randint(1, span - 1)))
    return day if day < before else None


class _Settler:
    def __init__(
        self,
        rng: random.Random,
        calendar: BusinessCalendar,
        as_of: dt.date,
        options: BookOptions | None = None,
        start: dt.date | None = None,
        drift_rng: random.Random | None = None,
    ) -> None:
        self.rng, self.calendar, self.as_of = rng, calendar, as_of
        self.options = options or BookOptions()
        self.start = start or as_of
        self.drift_rng = drift_rng or random.Random(0)
        self.result = Settlement()
        self.due: list[tuple[dt.date, Move, int]] = []  # (pay day, invoice, cents) for batching

    def dispute(self, invoice: Move, planned: dt.date | None) -> tuple[bool, dt.date | None]:
        """Maybe open a dispute; returns (disputed, new intended day)."""
        rng = self.rng
        if not self.options.disputes:
            return False, planned
        if rng.random() >= DISPUTE_PROBABILITY.get(invoice.customer.behaviour, 0.02):
            return False, planned
        opened = self.calendar.on_or_after(
            invoice.invoice_date + dt.timedelta(days=rng.randint(3, invoice.customer.payment_term_days + 15))
        )
        if planned is not None and opened >= planned:  # raised before paying, not after
            opened = _random_day_between(rng, self.calendar, invoice.invoice_date, planned) or opened
            if opened >= planned:
                return False, planned
        if opened > self.as_of:
            return False, planned
        reason = rng.choice(DISPUTE_REASONS)
        resolved: dt.date | None = self.calendar.on_or_after(
            opened + dt.timedelta(days=round(rng.triangular(5, 90, 20)))
        )
        created = office_instant(rng, opened, not_before=invoice.created_at)
        if resolved is not None and resolved > self.as_of:
            resolved = None
        write = office_instant(rng, resolved, not_before=created) if resolved else created
        self.result.disputes.append(Dispute(invoice, opened, resolved, reason, created, write))
        if resolved is None:
            return True, None  # nobody pays an invoice while its dispute is open
        draw = rng.random()
        if draw < 0.10 or reason == "duplicate_invoice":
            self.credit(
                invoice,
                resolved,
                1.0,
                "Cancelación por factura duplicada"
                if reason == "duplicate_invoice"
                else "Devolución total de mercancía",
            )
            return True, None
        if draw < 0.45:
            self.credit(invoice, resolved, rng.uniform(0.1, 0.5), "Bonificación por aclaración")
        if planned is None:
            return True, None
        return True, max(planned, self.calendar.on_or_after(resolved + dt.timedelta(days=rng.randint(1, 10))))

    def drifted(self, invoice: Move, late: int | None) -> int | None:
        """The intended lateness after the book's drift (BookOptions.late_drift), linear in the issue
        date from the history's start (none) to as_of (all of it); unchanged without drift."""
        drift = self.options.late_drift
        if not drift:
            return late
        span = max((self.as_of - self.start).days, 1)
        progress = min(max((invoice.invoice_date - self.start).days / span, 0.0), 1.0)
        draw = self.drift_rng
        if drift < 0 and (late is None or late > 0) and draw.random() < -drift * progress:
            return -min(int(draw.expovariate(1 / 3)), 15)  # paid on time after all
        # About a quarter of invoices are late in the default mix: flip on-time ones so the late
        # share grows by ~drift × progress of itself.
        if drift > 0 and late is not None and late <= 0 and draw.random() < min(1.0, drift * progress / 3):
            return 1 + min(int(draw.expovariate(1 / 10)), 60)
        return late

    def credit(self, invoice: Move, day: dt.date, fraction: float, reason: str) -> None:
        self.result.credit_notes.append(build_credit_note(self.rng, invoice, day, fraction, reason))

    def settle(self, invoice: Move) -> None:
        rng, customer = self.rng, invoice.customer
        late = lateness_days(
            customer.behaviour, rng, issue_date=invoice.invoice_date, as_of=self.as_of, onset=customer.onset
        )
        late = self.drifted(invoice, late)
        planned = None if late is None else _settlement_day(self.calendar, invoice, late)
        disputed, planned = self.dispute(invoice, planned)
        if not disputed and rng.random() < CREDIT_NOTE_PROBABILITY:
            day = self.calendar.on_or_after(invoice.invoice_date + dt.timedelta(days=rng.randint(1, 30)))
            if day <= self.as_of and (planned is None or day < planned):  # credited before it is paid
                full = rng.random() < 0.12
                self.credit(
                    invoice,
                    day,
                    1.0 if full else rng.uniform(0.05, 0.4),
                    "Devolución total de mercancía" if full else rng.choice(REFUND_REASONS),
                )
        owed = invoice.total - invoice.credited
        if planned is None or owed <= 0:
            return
        if rng.random() < SPLIT_PAYMENT_PROBABILITY and owed >= 200:
            first_day = _random_day_between(rng, self.calendar, invoice.invoice_date, planned)
            if first_day is not None and first_day <= self.as_of:
                first = round(owed * rng.uniform(0.3, 0.7))
                self.pay(first_day, invoice.currency, [(invoice, first)])
                owed -= first
        if planned <= self.as_of:
            self.due.append((planned, invoice, owed))

    def pay_batches(self, window_days: int) -> None:
        """One payment per run of invoices whose intended days fall within the window (same currency),
        dated on the earliest of them: batching never makes a punctual customer late."""
        for currency in ("MXN", "USD"):
            items = sorted(
                (item for item in self.due if item[1].currency == currency),
                key=lambda item: (item[0], item[1].created_at),
            )
            batch: list[tuple[Move, int]] = []
            batch_day = dt.date.min
            for day, invoice, cents in items:
                if batch and (day - batch_day).days <= window_days and invoice.invoice_date < batch_day:
                    batch.append((invoice, cents))
                    continue
                if batch:
                    self.pay(batch_day, currency, batch)
                batch, batch_day = [(invoice, cents)], day
            if batch:
                self.pay(batch_day, currency, batch)

    def pay(self, day: dt.date, currency: str, items: list[tuple[Move, int]]) -> None:
        rng, as_of = self.rng, self.as_of
        customer = items[0][0].customer
        method = customer.payment_method if rng.random() < 0.9 else "transfer"
        amount = sum(cents for _, cents in items)
        if method == "check" and rng.random() < 0.04 and day + dt.timedelta(days=7) <= as_of:
            # A bounced cheque: posted, then cancelled days later (never reconciled); paid again later.
            created = office_instant(rng, day)
            cancelled_on = self.calendar.on_or_after(day + dt.timedelta(days=rng.randint(2, 6)))
            self.result.payments.append(
                Payment(
                    customer.no,
                    day,
                    currency,
                    amount,
                    method,
                    created,
                    office_instant(rng, min(cancelled_on, as_of), not_before=created),
                    state="cancel",
                )
            )
            day, method = self.calendar.on_or_after(day + dt.timedelta(days=rng.randint(7, 20))), "transfer"
            if day > as_of:
                return
        if rng.random() < 0.01:
            amount += rng.randint(100, 50_000)  # overpaid: the excess stays unapplied on the customer's account
        created = office_instant(rng, day)
        payment = Payment(customer.no, day, currency, amount, method, created, created)
        for invoice, cents in items:
            # Most receipts are matched the same day; some wait a few business days for the accountant.
            max_date = (
                day if rng.random() < 0.8 else self.calendar.on_or_after(day + dt.timedelta(days=rng.randint(1, 3)))
            )
            if max_date > as_of:
                continue  # received but not yet applied as of as_of
            allocated_at = office_instant(rng, max_date, not_before=created)
            payment.allocations.append(Allocation(payment, invoice, cents, max_date, allocated_at))
            payment.write_date = max(payment.write_date, allocated_at)
            invoice.paid += cents
            invoice.write_date = max(invoice.write_date, allocated_at)
        self.result.payments.append(payment)


def settle_customer(
    rng: random.Random,
    calendar: BusinessCalendar,
    invoices: list[Move],
    as_of: dt.date,
    *,
    options: BookOptions | None = None,
    start: dt.date | None = None,
    drift_rng: random.Random | None = None,
) -> Settlement:
    """Disputes, credit notes and payments for one customer's ``invoices`` (issued in date order).
    ``options``/``start``/``drift_rng``: a harder book's drift and disputes (none by default)."""
    settler = _Settler(rng, calendar, as_of, options, start, drift_rng)
    for invoice in invoices:
        if invoice.state == "posted":
            settler.settle(invoice)
    if invoices:
        settler.pay_batches(invoices[0].customer.batch_window_days)
    return settler.result
