"""Customers (companies) and their one contact person.

Each customer gets a profile that the documents and payments follow: how often it buys, how much,
in which currency, its credit terms, how it pays (the ``x_behaviour`` ground truth) and when it
became a customer. Personal data comes from Faker ``es_MX``; e-mails use only the reserved
domains example.com / example.mx so no message can ever reach a real inbox.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from faker import Faker

from cartera.synthetic.behaviours import (
    NEW_CUSTOMER_WINDOW_DAYS,
    Behaviour,
    deterioration_onset,
    pick_behaviour,
)
from cartera.synthetic.book_options import BookOptions
from cartera.synthetic.business_days import office_instant
from cartera.synthetic.reference import (
    CONTACT_FUNCTIONS,
    INDUSTRY_WEIGHTS,
    LEGAL_SUFFIXES,
    NAME_PREFIXES,
    STATES,
    TAX_REGIMES,
    City,
)
from cartera.synthetic.rfc import rfc_moral

K = TypeVar("K")

PAYMENT_TERMS: dict[int, float] = {15: 0.15, 30: 0.45, 60: 0.30, 90: 0.10}
PAYMENT_METHODS: dict[str, float] = {"transfer": 0.78, "check": 0.10, "card": 0.07, "cash": 0.05}
CHANNELS: dict[str, float] = {"email": 0.50, "whatsapp": 0.35, "sms": 0.05, "phone": 0.10}


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    function: str
    email: str
    mobile: str
    whatsapp_opt_in: bool
    email_opt_out: bool
    sms_opt_out: bool
    lang: str
    preferred_channel: str
    created_at: dt.datetime
    write_date: dt.datetime


@dataclass(frozen=True, slots=True)
class Customer:
    """One customer company and the profile its documents follow."""

    no: int  # 1-based creation order; the ERP id is assigned from create_date later
    name: str
    vat: str
    tax_regime: str
    state_code: str
    city: City
    zip: str
    industry: str
    payment_term_days: int
    credit_limit_cents: int
    credit_limit_currency: str
    behaviour: Behaviour
    onset: dt.date | None  # when a deteriorating customer starts paying late
    first_day: dt.date  # first invoice on the first business day from here
    last_day: dt.date  # no invoices after this day (a few customers stop buying)
    invoices_per_month: float
    median_invoice_mxn: float
    usd_share: float
    payment_method: str
    batch_window_days: int  # pays invoices whose dates fall within this window with one transfer
    created_at: dt.datetime
    write_date: dt.datetime
    contact: Contact


def _weighted(rng: random.Random, weights: Mapping[K, float]) -> K:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(char for char in folded if char.isalnum())


def _company_name(rng: random.Random, fake: Faker, industry: str) -> str:
    prefix = rng.choice(NAME_PREFIXES[industry])
    surnames = fake.last_name() if rng.random() < 0.6 else f"{fake.last_name()} y {fake.last_name()}"
    return f"{prefix} {surnames} {_weighted(rng, LEGAL_SUFFIXES)}"


def _contact(
    rng: random.Random, fake: Faker, no: int, city: City, usd_billing: bool, created: dt.datetime, as_of: dt.date
) -> Contact:
    first, last = fake.first_name(), fake.last_name()
    domain = "example.mx" if rng.random() < 0.7 else "example.com"
    # 10 national digits: the city's area code (2 or 3 digits) then the subscriber number.
    subscriber = "".join(str(rng.randint(0, 9)) for _ in range(10 - len(city.area_code)))
    whatsapp = rng.random() < 0.60
    email_opt_out = rng.random() < 0.02
    sms_opt_out = rng.random() < 0.03
    channels = {
        ch: w
        for ch, w in CHANNELS.items()
        if not (ch == "whatsapp" and not whatsapp) and not (ch == "email" and email_opt_out)
    }
    changed = email_opt_out or sms_opt_out or rng.random() < 0.10
    last_change_day = created.date() + dt.timedelta(days=rng.randint(0, max((as_of - created.date()).days, 0)))
    return Contact(
        name=f"{first} {last}",
        function=rng.choice(CONTACT_FUNCTIONS),
        email=f"{_ascii_slug(first)}.{_ascii_slug(last)}.{no}@{domain}",
        mobile=f"+52{city.area_code}{subscriber}",
        whatsapp_opt_in=whatsapp,
        email_opt_out=email_opt_out,
        sms_opt_out=sms_opt_out,
        lang="en_US" if rng.random() < (0.30 if usd_billing else 0.06) else "es_MX",
        preferred_channel=_weighted(rng, channels),
        created_at=created,
        write_date=office_instant(rng, last_change_day, not_before=created) if changed else created,
    )


def build_customers(
    rng: random.Random,
    fake: Faker,
    count: int,
    *,
    start: dt.date,
    as_of: dt.date,
    options: BookOptions | None = None,
) -> list[Customer]:
    """``count`` customers, the first buying from ``start``; deterministic for seeded rng and fake.

    ``options`` (a harder book) changes the terms mix and how invoices spread over customers; the
    default draws exactly the same numbers as without it."""
    options = options or BookOptions()
    terms_mix = options.payment_terms or PAYMENT_TERMS
    # Keep the mean invoices per month of a lognormal(mu, sigma) when sigma changes, then scale it.
    volume_mu = 0.37 + (0.8**2 - options.volume_sigma**2) / 2 + math.log(options.volume_scale)
    states = list(STATES)
    state_weights = [state.weight for state in states]
    seen_rfcs: set[str] = set()
    customers: list[Customer] = []
    for no in range(1, count + 1):
        behaviour = pick_behaviour(rng)
        industry = _weighted(rng, INDUSTRY_WEIGHTS)
        state = rng.choices(states, weights=state_weights)[0]
        city = rng.choice(state.cities)
        name = _company_name(rng, fake, industry)
        incorporated = as_of - dt.timedelta(days=rng.randint(3 * 365, 40 * 365))
        vat = rfc_moral(name, incorporated, rng)
        while vat in seen_rfcs:  # the homoclave is what tells two same-initials, same-day companies apart
            vat = rfc_moral(name, incorporated, rng)
        seen_rfcs.add(vat)

        onset = deterioration_onset(rng, as_of) if behaviour is Behaviour.DETERIORATING else None
        if behaviour is Behaviour.NEW_CUSTOMER:
            first_day = as_of - dt.timedelta(days=rng.randint(3, NEW_CUSTOMER_WINDOW_DAYS - 5))
        elif rng.random() < 0.70 or (as_of - start).days < 240:
            first_day = start  # already a customer when the history starts
        else:
            first_day = start + dt.timedelta(days=rng.randint(0, (as_of - start).days - 180))
        if onset is not None and first_day > onset - dt.timedelta(days=90):
            first_day = start  # a deteriorating customer needs a punctual past to deteriorate from
        churns = behaviour is not Behaviour.NEW_CUSTOMER and rng.random() < 0.06 and (as_of - first_day).days > 180
        last_day = first_day + dt.timedelta(days=rng.randint(120, (as_of - first_day).days - 30)) if churns else as_of
        created_day = first_day - dt.timedelta(days=rng.randint(30, 2500) if first_day == start else rng.randint(1, 20))
        created = office_instant(rng, created_day)

        usd_billing = rng.random() < 0.18
        median_invoice = rng.lognormvariate(10.3, 0.9)  # ~30k MXN, from a few thousand to a few hundred thousand
        # ~2 invoices a month on average, a few customers far more
        per_month = (
            rng.lognormvariate(0.37, 0.8)
            if options.is_default_volume
            else rng.lognormvariate(volume_mu, options.volume_sigma)
        )
        terms = _weighted(rng, terms_mix)
        currency = "USD" if usd_billing else "MXN"
        monthly_volume = median_invoice * per_month * (1 / 18.5 if usd_billing else 1)
        step = 1_000 if usd_billing else 10_000
        credit_limit = max(step, round(monthly_volume * (terms / 30 + 1) * 1.2 / step) * step)
        updated = rng.random() < 0.15  # e.g. a credit-limit review or a new address
        update_day = created.date() + dt.timedelta(days=rng.randint(0, max((as_of - created.date()).days, 0)))
        customers.append(
            Customer(
                no=no,
                name=name,
                vat=vat,
                tax_regime=_weighted(rng, TAX_REGIMES),
                state_code=state.code,
                city=city,
                zip=f"{city.zip_prefix}{rng.randint(0, 999):03d}",
                industry=industry,
                payment_term_days=terms,
                credit_limit_cents=credit_limit * 100,
                credit_limit_currency=currency,
                behaviour=behaviour,
                onset=onset,
                first_day=first_day,
                last_day=last_day,
                invoices_per_month=per_month,
                median_invoice_mxn=median_invoice,
                usd_share=0.75 if usd_billing else 0.02,
                payment_method=_weighted(rng, PAYMENT_METHODS),
                batch_window_days=rng.randint(5, 15) if rng.random() < 0.55 else 0,
                created_at=created,
                write_date=office_instant(rng, update_day, not_before=created) if updated else created,
                contact=_contact(
                    rng, fake, no, city, usd_billing, office_instant(rng, created.date(), not_before=created), as_of
                ),
            )
        )
    return customers
