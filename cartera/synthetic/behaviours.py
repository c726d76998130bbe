"""How each customer pays: the ground truth stored as ``res_partner.x_behaviour``.

A behaviour decides, for one invoice, how many days after its due date the customer intends to
settle it (negative: early). Models are later checked against this ground truth, so each behaviour
is a clear, documented distribution:

- ``exemplary``: always on or before the due date (0 to ~15 days early).
- ``occasional_slip``: ~88 % on time, the rest 1-45 days late (mean ~8).
- ``chronic_late``: usually 20-90 days late; ~4 % of its invoices are never paid.
- ``deteriorating``: on time until an onset 4-8 months before ``as_of``, then later and later
  (mean lateness growing from ~5 to ~80 days by ``as_of``), with some invoices never paid.
- ``new_customer``: first invoice in the last 3 months; pays like ``occasional_slip``.
"""

from __future__ import annotations

import datetime as dt
import random
from enum import StrEnum


class Behaviour(StrEnum):
    EXEMPLARY = "exemplary"
    OCCASIONAL_SLIP = "occasional_slip"
    CHRONIC_LATE = "chronic_late"
    DETERIORATING = "deteriorating"
    NEW_CUSTOMER = "new_customer"


# Share of customers with each behaviour.
BEHAVIOUR_WEIGHTS: dict[Behaviour, float] = {
    Behaviour.EXEMPLARY: 0.35,
    Behaviour.OCCASIONAL_SLIP: 0.30,
    Behaviour.CHRONIC_LATE: 0.15,
    Behaviour.DETERIORATING: 0.12,
    Behaviour.NEW_CUSTOMER: 0.08,
}

NEW_CUSTOMER_WINDOW_DAYS = 90  # a new customer's first invoice falls in the last 3 months


def pick_behaviour(rng: random.Random) -> Behaviour:
    """One behaviour drawn with :data:`BEHAVIOUR_WEIGHTS`."""
    return rng.choices(list(BEHAVIOUR_WEIGHTS), weights=list(BEHAVIOUR_WEIGHTS.values()))[0]


def deterioration_onset(rng: random.Random, as_of: dt.date) -> dt.date:
    """When a deteriorating customer starts paying late: 4 to 8 months before ``as_of``."""
    return as_of - dt.timedelta(days=rng.randint(120, 240))


def _early(rng: random.Random) -> int:
    # Most punctual payers pay in the last few days before the due date; a few much earlier.
    return -min(int(rng.expovariate(1 / 3)), 15)


def _slip(rng: random.Random) -> int:
    return min(1 + int(rng.expovariate(1 / 7)), 45)


def lateness_days(
    behaviour: Behaviour, rng: random.Random, *, issue_date: dt.date, as_of: dt.date, onset: dt.date | None = None
) -> int | None:
    """Days between the due date and the intended settlement of one invoice (negative: early),
    or None when the customer will never pay it. ``onset`` is required for ``deteriorating``."""
    if behaviour is Behaviour.EXEMPLARY:
        return _early(rng)
    if behaviour in (Behaviour.OCCASIONAL_SLIP, Behaviour.NEW_CUSTOMER):
        return _slip(rng) if rng.random() < 0.12 else _early(rng)
    if behaviour is Behaviour.CHRONIC_LATE:
        draw = rng.random()
        if draw < 0.04:
            return None
        if draw < 0.84:
            return round(rng.triangular(20, 90, 35))
        return rng.randint(1, 19)
    if behaviour is Behaviour.DETERIORATING:
        if onset is None:
            raise ValueError("a deteriorating customer needs its onset date")
        if issue_date < onset:
            return _slip(rng) if rng.random() < 0.05 else _early(rng)
        progress = (issue_date - onset).days / max((as_of - onset).days, 1)
        if rng.random() < 0.10 * progress:
            return None
        mean = 5 + 75 * progress
        return max(1, round(rng.gauss(mean, 0.25 * mean + 2)))
    raise ValueError(f"unknown behaviour {behaviour!r}")
