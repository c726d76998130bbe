"""The simulated company: customers with the generator's payment behaviours and hidden response
traits, and their invoices with the day each would be paid if nobody reminded them.

Built on :mod:`cartera.synthetic.behaviours` (``pick_behaviour``, ``lateness_days``,
``deterioration_onset``): the same ground-truth behaviours and lateness distributions the
synthetic ERP uses. Everything else (traits, amounts, zones) is drawn here from seeded streams,
one per (customer, purpose[, day or invoice]) via :func:`rng_for`, so two strategies run on the
same seed meet the same customers, the same invoices and the same draws per customer-day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field

from cartera.synthetic.behaviours import Behaviour, deterioration_onset, lateness_days, pick_behaviour

START = dt.date(2026, 1, 5)  # a Monday; the simulation's first business date
HISTORY_DAYS = 300  # invoices issued before START give the segments a history
TERMS = {15: 0.15, 30: 0.45, 60: 0.30, 90: 0.10}  # the generator's credit terms mix
# (state code, IANA zone, weight): Mexico's main zones, weighted roughly like the generator's states.
PLACES = (
    ("CMX", "America/Mexico_City", 0.30),
    ("JAL", "America/Mexico_City", 0.15),
    ("NLE", "America/Monterrey", 0.15),
    ("MEX", "America/Mexico_City", 0.15),
    ("BCN", "America/Tijuana", 0.07),
    ("SON", "America/Hermosillo", 0.05),
    ("SIN", "America/Mazatlan", 0.05),
    ("YUC", "America/Merida", 0.04),
    ("ROO", "America/Cancun", 0.04),
)
READING_BLOCKS = {  # by size band: large companies read in the morning, small shops later in the day
    "large": {"08h": 0.55, "11h": 0.25, "14h": 0.15, "18h": 0.05},
    "medium": {"08h": 0.30, "11h": 0.30, "14h": 0.25, "18h": 0.15},
    "small": {"08h": 0.10, "11h": 0.20, "14h": 0.30, "18h": 0.40},
}
READ_RATE = {  # mean read rate at a good hour, by channel and size band
    "email": {"large": 0.60, "medium": 0.45, "small": 0.25},
    "whatsapp": {"large": 0.50, "medium": 0.70, "small": 0.85},
    "sms": {"large": 0.30, "medium": 0.35, "small": 0.40},
}
FORGETFUL_SHARE = {
    Behaviour.EXEMPLARY: 0.9,
    Behaviour.OCCASIONAL_SLIP: 0.75,
    Behaviour.NEW_CUSTOMER: 0.7,
    Behaviour.CHRONIC_LATE: 0.35,
    Behaviour.DETERIORATING: 0.3,
}


def rng_for(seed: int, *keys: object) -> random.Random:
    """An independent stream for (seed, keys...): the same keys give the same draws in any run."""
    digest = hashlib.sha256(":".join(str(k) for k in (seed, *keys)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def size_band(median_mxn: float) -> str:
    return "small" if median_mxn < 20_000 else "medium" if median_mxn < 80_000 else "large"


@dataclass(frozen=True)
class Traits:
    """What the strategy cannot see: how this customer responds to contact."""

    read: dict[str, float]  # P(read) per channel, at its reading hours
    reading_block: str  # the block of the day it reads messages in
    off_hours: float  # read-rate multiplier outside that block
    forgetful: bool  # forgets (a read reminder makes it pay) or is short of cash (a promise at best)
    act: float  # P(acting on a read reminder about a late invoice)
    firm_act: float  # multiplier on `act` when the tone is firm
    firm_annoyance: float  # multiplier on complaints and opt-outs when the tone is firm
    opt_out: float  # P(opting out of the channel) per read message, before fatigue
    complaint: float  # P(complaining) per read message, before fatigue
    keeps_promise: float  # P(a promise to pay is kept)
    dispute: float  # P(raising a dispute when reminded)


@dataclass(frozen=True)
class SimCustomer:
    customer_id: str
    behaviour: Behaviour
    onset: dt.date | None
    state: str
    timezone: str
    terms: int
    invoices_per_month: float
    median_mxn: float
    first_day: dt.date
    has_email: bool
    has_mobile: bool
    whatsapp_opt_in: bool
    email_opt_out: bool
    sms_opt_out: bool
    traits: Traits

    @property
    def size(self) -> str:
        return size_band(self.median_mxn)


@dataclass
class SimInvoice:
    invoice_id: str
    customer_id: str
    number: str
    issue: dt.date
    due: dt.date
    amount_mxn: float
    pay_day: dt.date | None  # when it will be paid as things stand (None: never)
    paid_on: dt.date | None = None
    natural_pay_day: dt.date | None = None  # without any contact (for the record)
    disputed_until: dt.date | None = None

    @property
    def is_open(self) -> bool:
        return self.paid_on is None


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _beta_around(rng: random.Random, mean: float, strength: float = 12.0) -> float:
    return rng.betavariate(max(mean * strength, 0.1), max((1 - mean) * strength, 0.1))


def draw_traits(seed: int, customer_id: str, behaviour: Behaviour, size: str) -> Traits:
    rng = rng_for(seed, "traits", customer_id)
    forgetful = rng.random() < FORGETFUL_SHARE[behaviour]
    punctual = behaviour in (Behaviour.EXEMPLARY, Behaviour.OCCASIONAL_SLIP, Behaviour.NEW_CUSTOMER)
    return Traits(
        read={channel: _beta_around(rng, rates[size]) for channel, rates in READ_RATE.items()},
        reading_block=_weighted(rng, READING_BLOCKS[size]),
        off_hours=0.45,
        forgetful=forgetful,
        act=_beta_around(rng, 0.75 if forgetful else 0.25),
        firm_act=rng.uniform(0.6, 0.95) if punctual else rng.uniform(1.1, 1.5),
        firm_annoyance=(5.0 if behaviour is Behaviour.EXEMPLARY else 2.5) if punctual else 1.3,
        opt_out=0.004,
        complaint=0.004,
        keeps_promise=0.8 if forgetful else 0.6,
        dispute=0.01,
    )


@dataclass
class World:
    seed: int
    start: dt.date
    days: int
    customers: list[SimCustomer]
    invoices: list[SimInvoice] = field(default_factory=list)

    @property
    def end(self) -> dt.date:
        """The last simulated day."""
        return self.start + dt.timedelta(days=self.days - 1)


def _customer(seed: int, no: int, start: dt.date, end: dt.date) -> SimCustomer:
    rng = rng_for(seed, "customer", no)
    behaviour = pick_behaviour(rng)
    customer_id = f"C{no:05d}"
    state, zone = rng.choices([p[:2] for p in PLACES], weights=[p[2] for p in PLACES])[0]
    median = rng.lognormvariate(10.3, 0.9)
    first_day = start - dt.timedelta(days=HISTORY_DAYS)
    if behaviour is Behaviour.NEW_CUSTOMER:
        first_day = start + dt.timedelta(days=rng.randint(-60, 30))
    mobile = rng.random() < 0.92
    return SimCustomer(
        customer_id=customer_id,
        behaviour=behaviour,
        onset=deterioration_onset(rng, end) if behaviour is Behaviour.DETERIORATING else None,
        state=state,
        timezone=zone,
        terms=int(_weighted(rng, {str(k): v for k, v in TERMS.items()})),
        invoices_per_month=min(rng.lognormvariate(0.37, 0.8), 12.0),
        median_mxn=median,
        first_day=first_day,
        has_email=rng.random() < 0.97,
        has_mobile=mobile,
        whatsapp_opt_in=mobile and rng.random() < 0.6,
        email_opt_out=rng.random() < 0.02,
        sms_opt_out=rng.random() < 0.03,
        traits=draw_traits(seed, customer_id, behaviour, size_band(median)),
    )


def _invoices(seed: int, customer: SimCustomer, last_issue: dt.date, as_of: dt.date) -> list[SimInvoice]:
    rng = rng_for(seed, "invoices", customer.customer_id)
    per_weekday = customer.invoices_per_month / 21.7
    found: list[SimInvoice] = []
    day = customer.first_day
    while day <= last_issue:
        if day.weekday() < 5 and rng.random() < per_weekday:
            k = len(found)
            amount = round(customer.median_mxn * rng.lognormvariate(0, 0.5), 2)
            due = day + dt.timedelta(days=customer.terms)
            late = lateness_days(
                customer.behaviour,
                rng_for(seed, "late", customer.customer_id, k),
                issue_date=day,
                as_of=as_of,
                onset=customer.onset,
            )
            pay_day = None if late is None else max(day + dt.timedelta(days=1), due + dt.timedelta(days=late))
            found.append(
                SimInvoice(
                    invoice_id=f"{customer.customer_id}-{k:04d}",
                    customer_id=customer.customer_id,
                    number=f"INV/{day.year}/{customer.customer_id[1:]}{k:04d}",
                    issue=day,
                    due=due,
                    amount_mxn=amount,
                    pay_day=pay_day,
                    natural_pay_day=pay_day,
                )
            )
        day += dt.timedelta(days=1)
    return found


def build_world(seed: int, customers: int, days: int, start: dt.date = START) -> World:
    """A company of `customers` customers and `days` days from `start`, with its pre-history:
    invoices issued from ``HISTORY_DAYS`` before `start` (paid before `start` or still open on it)."""
    end = start + dt.timedelta(days=days - 1)
    people = [_customer(seed, no, start, end) for no in range(1, customers + 1)]
    world = World(seed, start, days, people)
    for customer in people:
        world.invoices += _invoices(seed, customer, end, end)
    for invoice in world.invoices:  # the past is settled as it would have been
        if invoice.pay_day is not None and invoice.pay_day < start:
            invoice.paid_on = invoice.pay_day
    return world
