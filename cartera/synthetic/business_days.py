"""Business days and office-hour instants in Mexico City, where the (fictional) company keeps books.

Invoices are issued and payments land on Mexican business days (no weekends, no federal
holidays). ERP rows are stamped at an office-hour instant of that day (08:00-17:59 Mexico City),
stored in UTC: the latest possible instant of a day is 23:59 UTC of the same date, so nothing
written "on ``as_of``" falls after ``as_of`` end of day in either time zone.
"""

from __future__ import annotations

import datetime as dt
import random

import holidays

from cartera.run_dates import BOOKS_TZ


class BusinessCalendar:
    """Mexican business days between two dates (federal holidays from the ``holidays`` package)."""

    def __init__(self, start: dt.date, end: dt.date) -> None:
        years = range(start.year - 1, end.year + 2)
        self._holidays = frozenset(holidays.country_holidays("MX", years=years))

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def on_or_after(self, day: dt.date) -> dt.date:
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day

    def on_or_before(self, day: dt.date) -> dt.date:
        while not self.is_business_day(day):
            day -= dt.timedelta(days=1)
        return day

    def between(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Business days in [start, end]."""
        days = (start + dt.timedelta(days=offset) for offset in range((end - start).days + 1))
        return [day for day in days if self.is_business_day(day)]


def office_instant(rng: random.Random, day: dt.date, *, not_before: dt.datetime | None = None) -> dt.datetime:
    """A UTC instant during office hours (08:00-16:59) of ``day`` in Mexico City, and after
    ``not_before`` when given (a reconciliation after its payment, an update after the creation),
    never later than 17:59:59 local, which is at most 23:59:59 UTC of the same date."""
    local = dt.datetime(
        day.year, day.month, day.day, rng.randint(8, 16), rng.randint(0, 59), rng.randint(0, 59), tzinfo=BOOKS_TZ
    )
    instant = local.astimezone(dt.UTC)
    if not_before is not None and instant <= not_before:
        closing = dt.datetime(day.year, day.month, day.day, 17, 59, 59, tzinfo=BOOKS_TZ).astimezone(dt.UTC)
        instant = max(
            min(not_before + dt.timedelta(minutes=rng.randint(1, 30)), closing), not_before + dt.timedelta(seconds=1)
        )
    return instant
