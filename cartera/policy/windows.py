"""Legal contact windows in the debtor's local time: weekday hours, holidays, time-zone resolution
and the earliest allowed instant.

A window holds for a set of zones only when it holds in *every* zone of the set (intersection):
that is how an unknown or ambiguous debtor location gets the strictest reading. Windows are
half-open, [start, end): with a 22:00 end, 21:59:59 is inside and 22:00:00 is not (the law does
not say whether the end is inclusive; we take the strict reading).

Pure functions of aware datetimes; nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from cartera.errors import PolicyError

UTC = dt.UTC
# How far ahead the engine looks for an allowed instant before it gives up and denies.
SEARCH_HORIZON = dt.timedelta(days=400)


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """A ZoneInfo by IANA name; PolicyError when the name is not a zone (a pack typo)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyError(f"{name!r} is not an IANA time zone") from exc


class HolidayCalendar:
    """Holidays of one country, optionally with its subdivisions, cached per year as date sets.

    ``subdivisions=None`` means national only; a tuple means national plus each listed
    subdivision's own holidays (a day is a holiday when it is one in any of them).
    """

    def __init__(self, country: str, categories: tuple[str, ...], subdivisions: tuple[str, ...] | None) -> None:
        self.country = country
        self.categories = categories
        self.subdivisions = subdivisions
        self._years: dict[int, frozenset[dt.date]] = {}

    def _year(self, year: int) -> frozenset[dt.date]:
        days = self._years.get(year)
        if days is None:
            found: set[dt.date] = set(
                holidays.country_holidays(self.country, years=year, categories=self.categories).keys()
            )
            for subdivision in self.subdivisions or ():
                found.update(
                    holidays.country_holidays(
                        self.country, subdiv=subdivision, years=year, categories=self.categories
                    ).keys()
                )
            days = self._years[year] = frozenset(found)
        return days

    def is_holiday(self, day: dt.date) -> bool:
        return day in self._year(day.year)


@dataclass(frozen=True, slots=True)
class Window:
    """Per weekday (Monday=0) an allowed [start, end) in minutes after local midnight, or None."""

    days: tuple[tuple[int, int] | None, ...]
    block_holidays: bool

    def contains_local(self, local: dt.datetime, calendar: HolidayCalendar | None) -> bool:
        interval = self.days[local.weekday()]
        if interval is None:
            return False
        # Boundaries are whole minutes, so the minute of the day decides [start, end) exactly.
        minute = local.hour * 60 + local.minute
        if not interval[0] <= minute < interval[1]:
            return False
        return not (self.block_holidays and calendar is not None and calendar.is_holiday(local.date()))

    def contains(self, at: dt.datetime, zones: tuple[ZoneInfo, ...], calendar: HolidayCalendar | None) -> bool:
        """True when `at` is inside the window in every zone of `zones`."""
        if len(zones) == 1:  # the common case, without the generator's overhead
            return self.contains_local(at.astimezone(zones[0]), calendar)
        return all(self.contains_local(at.astimezone(z), calendar) for z in zones)

    def next_open_in_zone(self, at: dt.datetime, z: ZoneInfo, calendar: HolidayCalendar | None) -> dt.datetime | None:
        """The earliest instant >= `at` inside the window in zone `z` (None beyond the horizon)."""
        local = at.astimezone(z)
        minute = local.hour * 60 + local.minute
        day = local.date()
        for offset in range(SEARCH_HORIZON.days):
            current = day + dt.timedelta(days=offset)
            interval = self.days[current.weekday()]
            if interval is None or (self.block_holidays and calendar is not None and calendar.is_holiday(current)):
                continue
            if offset == 0:
                if minute >= interval[1]:
                    continue
                if minute >= interval[0]:
                    return at
            start = dt.datetime.combine(current, _time(interval[0]), tzinfo=z)
            # A start inside a DST gap does not exist locally; the round trip through UTC moves it
            # to the first real instant after the gap, which is then the opening.
            return start.astimezone(UTC)
        return None

    def next_open(
        self, at: dt.datetime, zones: tuple[ZoneInfo, ...], calendar: HolidayCalendar | None
    ) -> dt.datetime | None:
        """The earliest instant >= `at` inside the window in every zone of `zones`.

        A closed zone's next opening is exact for that zone, so it is a lower bound of the answer;
        moving there and checking again reaches the first instant open everywhere (a fixpoint)."""
        candidate = at
        limit = at + SEARCH_HORIZON
        while candidate < limit:
            closed = next((z for z in zones if not self.contains_local(candidate.astimezone(z), calendar)), None)
            if closed is None:
                return candidate
            moved = self.next_open_in_zone(candidate, closed, calendar)
            if moved is None:
                return None
            candidate = moved
        return None


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def describe_window(window: Window, lang: str) -> str:
    """Human text for a window, e.g. "lun–vie 07:00–19:00, sáb 08:00–15:00; nunca en festivos"."""
    names = {
        "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
        "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    }[lang]
    groups: list[tuple[int, int, tuple[int, int] | None]] = []
    for index, interval in enumerate(window.days):
        if groups and groups[-1][2] == interval:
            groups[-1] = (groups[-1][0], index, interval)
        else:
            groups.append((index, index, interval))
    parts = []
    for first, last, interval in groups:
        if interval is None:
            continue
        days = names[first] if first == last else f"{names[first]}–{names[last]}"
        parts.append(f"{days} {_time(interval[0]):%H:%M}–{_fmt_end(interval[1])}")
    text = ", ".join(parts)
    if window.block_holidays:
        text += "; nunca en días festivos" if lang == "es" else "; never on public holidays"
    return text


def _fmt_end(minutes: int) -> str:
    return "24:00" if minutes == 1440 else f"{_time(minutes):%H:%M}"


def local_day_start(at: dt.datetime, z: ZoneInfo, days_ahead: int = 0) -> dt.datetime:
    """The UTC instant at which local day (date of `at` + `days_ahead`) begins in zone `z`."""
    day = at.astimezone(z).date() + dt.timedelta(days=days_ahead)
    return dt.datetime.combine(day, dt.time(0), tzinfo=z).astimezone(UTC)


def local_week_start(at: dt.datetime, z: ZoneInfo, weeks_ahead: int = 0) -> dt.datetime:
    """The UTC instant at which the local ISO week (Monday 00:00) of `at`, + `weeks_ahead`, begins."""
    day = at.astimezone(z).date()
    monday = day - dt.timedelta(days=day.weekday()) + dt.timedelta(weeks=weeks_ahead)
    return dt.datetime.combine(monday, dt.time(0), tzinfo=z).astimezone(UTC)
