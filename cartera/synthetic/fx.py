"""Daily USD→MXN rates, Banco-de-México-FIX style: a mean-reverting random walk around 18.5 that
stays within 17-20, published on business days and carried over weekends and holidays (so every
calendar day has a rate to convert a document of that date)."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

from cartera.synthetic.business_days import BusinessCalendar

_CENTRE = math.log(18.5)
_LOW, _HIGH = 17.0, 20.0


def usd_rates(
    rng: random.Random, calendar: BusinessCalendar, start: dt.date, end: dt.date
) -> list[tuple[dt.date, Decimal]]:
    """One (date, rate_to_mxn) per calendar day in [start, end], rates with 4 decimals like the FIX."""
    level = _CENTRE + rng.gauss(0, 0.03)
    rate = Decimal(0)
    rates: list[tuple[dt.date, Decimal]] = []
    for offset in range((end - start).days + 1):
        day = start + dt.timedelta(days=offset)
        if calendar.is_business_day(day) or not rates:
            # Daily volatility ~0.5 % with a weak pull back to the centre (the peso's long-run range).
            level += 0.02 * (_CENTRE - level) + rng.gauss(0, 0.005)
            level = min(max(level, math.log(_LOW)), math.log(_HIGH))
            rate = Decimal(f"{math.exp(level):.4f}")
        rates.append((day, rate))
    return rates
