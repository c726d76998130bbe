"""What a message or a collector's call does in the simulated world.

A message on (channel, block, tone) to a customer on a day draws, in a fixed order from the
customer-day stream (:func:`cartera.simulation.world.rng_for`):

1. read? — the channel's read rate for this customer, × ``off_hours`` outside its reading block;
2. if read, complaint and opt-out — base rates × (1 + messages in the 7 days before)² (fatigue),
   × ``firm_annoyance`` for a firm tone;
3. if read, action on each listed invoice that would otherwise be paid late (or after tomorrow):
   a forgetful customer pays within 1–4 days (a pre-due reminder: by the due date); one short of
   cash promises a date 7–21 days out and keeps it with ``keeps_promise``; a firm tone multiplies
   the chance by ``firm_act`` (above 1 for late payers, below 1 for punctual ones);
4. a dispute, now and then (the invoice is held 10–30 days and paid after).
Unread messages change nothing but still count as contact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cartera.simulation.world import SimCustomer, SimInvoice, rng_for

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Response:
    read: bool
    engaged: bool  # paid, promised or replied: what "last response" sees
    acted: bool
    complained: bool
    opt_out: str | None  # the channel opted out of, or 'all'
    promise_until: dt.date | None
    disputed: tuple[tuple[str, dt.date], ...]  # (invoice_id, resolved on)


def respond(
    seed: int,
    customer: SimCustomer,
    invoices: Sequence[SimInvoice],
    *,
    channel: str,
    block: str,
    tone: str,
    day: dt.date,
    recent: int,
) -> Response:
    """The customer's response to one message; moves the listed invoices' pay days in place."""
    t = customer.traits
    rng = rng_for(seed, "message", customer.customer_id, day.isoformat())
    u_read, u_complaint, u_opt_out, u_all, u_act, u_delay, u_keep, u_dispute, u_resolve = (
        rng.random() for _ in range(9)
    )
    read_p = t.read.get(channel, 0.0) * (1.0 if block == t.reading_block else t.off_hours)
    if u_read >= read_p:
        return Response(False, False, False, False, None, None, ())
    fatigue = (1 + recent) ** 2
    annoyance = t.firm_annoyance if tone == "firme" else 1.0
    complained = u_complaint < t.complaint * fatigue * annoyance
    opted_out = u_opt_out < t.opt_out * fatigue * annoyance
    opt_out = ("all" if u_all < 0.3 else channel) if opted_out else None

    def slow(invoice: SimInvoice) -> bool:
        if invoice.paid_on is not None:
            return False
        if invoice.due > day:  # before due: only worth anything if it would be paid late
            return invoice.pay_day is None or invoice.pay_day > invoice.due
        return invoice.pay_day is None or invoice.pay_day > day + _DAY

    targets = [i for i in invoices if slow(i)]
    acted = False
    promise: dt.date | None = None
    if targets and u_act < t.act * (t.firm_act if tone == "firme" else 1.0):
        acted = True
        if t.forgetful:
            for invoice in targets:
                soon = day + dt.timedelta(days=1 + int(u_delay * 4))
                new = min(invoice.due, soon) if invoice.due > day else soon
                invoice.pay_day = new if invoice.pay_day is None else min(invoice.pay_day, new)
        else:
            promise = day + dt.timedelta(days=7 + int(u_delay * 15))
            if u_keep < t.keeps_promise:
                for invoice in targets:
                    invoice.pay_day = promise if invoice.pay_day is None else min(invoice.pay_day, promise)
    disputed: list[tuple[str, dt.date]] = []
    if targets and u_dispute < t.dispute:
        invoice = targets[0]
        resolved = day + dt.timedelta(days=10 + int(u_resolve * 20))
        invoice.disputed_until = resolved
        if invoice.pay_day is not None:
            invoice.pay_day = max(invoice.pay_day, resolved + 3 * _DAY)
        disputed.append((invoice.invoice_id, resolved))
    return Response(True, acted or bool(disputed), acted, complained, opt_out, promise, tuple(disputed))


def collector_call(seed: int, customer: SimCustomer, invoices: Sequence[SimInvoice], day: dt.date) -> bool:
    """A collector works the customer's escalated invoices: a forgetful customer usually pays
    within days, one short of cash sometimes agrees a plan. Returns whether it worked."""
    rng = rng_for(seed, "collector", customer.customer_id, day.isoformat())
    u_success, u_delay = rng.random(), rng.random()
    if u_success >= (0.85 if customer.traits.forgetful else 0.5):
        return False
    when = day + dt.timedelta(days=2 + int(u_delay * 9))
    for invoice in invoices:
        if invoice.paid_on is None:
            invoice.pay_day = when if invoice.pay_day is None else min(invoice.pay_day, when)
    return True
