"""When a debtor may be contacted: Mexico's 07:00–22:00 window in the **debtor's** time zone.

CONDUSEF's rules for collection set the hours "de acuerdo a los husos horarios en que se
encuentre el deudor" (see /work/shared/COMPLIANCE.md, Mexico). We apply them to every channel,
e-mail included (a conservative design choice), with 22:00 itself outside the window (the text
does not say whether the end is inclusive; we take the strict reading). There is no weekday or
holiday rule in Mexico, so none is applied here.

A debtor whose zone is unknown (null, empty or not an IANA name) gets the strictest reading: an
instant is allowed only when it is inside the window in *every* Mexican zone (the intersection),
and "the same local day" means the same day in any of them.

Pure functions of aware datetimes; nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Every IANA zone used in Mexico (tzdata 2025+): border zones keep US DST, the rest do not.
MEXICO_ZONE_NAMES: tuple[str, ...] = (
    "America/Tijuana",
    "America/Hermosillo",
    "America/Mazatlan",
    "America/Bahia_Banderas",
    "America/Chihuahua",
    "America/Ciudad_Juarez",
    "America/Ojinaga",
    "America/Mexico_City",
    "America/Monterrey",
    "America/Merida",
    "America/Matamoros",
    "America/Cancun",
)


@dataclass(frozen=True)
class DailyWindow:
    """Local hours [start, end) during which contact is allowed, every day of the week."""

    start: dt.time
    end: dt.time

    def contains(self, local: dt.datetime) -> bool:
        return self.start <= local.timetz().replace(tzinfo=None) < self.end


MX_WINDOW = DailyWindow(start=dt.time(7, 0), end=dt.time(22, 0))


def resolve_zones(timezone_name: str | None) -> tuple[ZoneInfo, ...]:
    """The zones whose window applies: the debtor's zone, or all Mexican zones when unknown."""
    if timezone_name:
        try:
            return (ZoneInfo(timezone_name),)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # an unusable name is "unknown": fall through to the strictest reading
    return tuple(ZoneInfo(name) for name in MEXICO_ZONE_NAMES)


def _require_aware(at: dt.datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("contact-window instants must be timezone-aware")


def is_within_window(at: dt.datetime, zones: tuple[ZoneInfo, ...], window: DailyWindow = MX_WINDOW) -> bool:
    """True when `at` is inside the window in every zone of `zones`."""
    _require_aware(at)
    return all(window.contains(at.astimezone(zone)) for zone in zones)


def _next_open_in_zone(at: dt.datetime, zone: ZoneInfo, window: DailyWindow) -> dt.datetime:
    """The first instant >= `at` inside the window in one zone."""
    local = at.astimezone(zone)
    if window.contains(local):
        return at
    day = local.date() if local.time() < window.start else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, window.start, tzinfo=zone).astimezone(dt.UTC)


def next_allowed_instant(at: dt.datetime, zones: tuple[ZoneInfo, ...], window: DailyWindow = MX_WINDOW) -> dt.datetime:
    """The first instant >= `at` (in UTC) inside the window in every zone of `zones`.

    For several zones this walks forward to the latest opening until all agree; Mexico's zones
    span at most three hours, so the intersection is never empty and this ends in a few steps.
    """
    _require_aware(at)
    candidate = at.astimezone(dt.UTC)
    for _ in range(8 * len(zones) + 8):
        if is_within_window(candidate, zones, window):
            return candidate
        candidate = max(_next_open_in_zone(candidate, zone, window) for zone in zones)
    raise ValueError("the contact windows of these zones never overlap")


def same_local_day(first: dt.datetime, second: dt.datetime, zones: tuple[ZoneInfo, ...]) -> bool:
    """True when both instants fall on the same calendar day in any zone of `zones`."""
    _require_aware(first)
    _require_aware(second)
    return any(first.astimezone(zone).date() == second.astimezone(zone).date() for zone in zones)


def start_of_next_local_day(at: dt.datetime, zones: tuple[ZoneInfo, ...]) -> dt.datetime:
    """The first instant (UTC) at which `at`'s local day has ended in every zone of `zones`."""
    _require_aware(at)
    return max(
        dt.datetime.combine(at.astimezone(zone).date() + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        for zone in zones
    ).astimezone(dt.UTC)


def local_date(at: dt.datetime, zones: tuple[ZoneInfo, ...]) -> dt.date:
    """The debtor's local date at `at` (for several zones, the westernmost reading: the earliest)."""
    _require_aware(at)
    return min(at.astimezone(zone).date() for zone in zones)
