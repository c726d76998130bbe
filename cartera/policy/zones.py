"""Which time zones (and which holiday calendar) apply to a debtor.

Sources, most precise first: the IANA zone from the address, the state, the phone area code.
When two sources disagree (neither's zones contain the other's) every candidate zone is kept, so
the window must hold in all of them — Reg F's reading for a consumer whose location is ambiguous,
applied everywhere. With no usable source, every zone of the country is used (the strictest
reading). A state split across zones maps to all of its zones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from cartera.policy.models import ContactProfile
from cartera.policy.rules import RulePack
from cartera.policy.windows import HolidayCalendar, zone


@dataclass(frozen=True, slots=True)
class ZoneResolution:
    """The zones to check and how they were found ("address", "state", "area_code", combinations
    joined by "+", or "unknown")."""

    zones: tuple[ZoneInfo, ...]
    names: tuple[str, ...]
    source: str


def _valid_zone(name: str | None) -> str | None:
    if not name:
        return None
    return _checked_zone(name)


@lru_cache(maxsize=1024)
def _checked_zone(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # an unusable name counts as unknown: the caller falls back to the strict reading
    return name


def resolve_zones(pack: RulePack, profile: ContactProfile) -> ZoneResolution:
    """The debtor's candidate zones under `pack` (see the module docstring for the precedence)."""
    sources: list[tuple[str, frozenset[str]]] = []
    address_zone = _valid_zone(profile.timezone)
    if address_zone:
        sources.append(("address", frozenset({address_zone})))
    if profile.state:
        by_state = pack.zones_by_state.get(profile.state.strip().upper())
        if by_state:
            sources.append(("state", frozenset(by_state)))
    if profile.phone_area_code:
        by_code = pack.zones_by_area_code.get(profile.phone_area_code.strip())
        if by_code:
            sources.append(("area_code", frozenset(by_code)))
    if not sources:
        return _resolution(pack.zones, "unknown")
    names = set(sources[0][1])
    used = [sources[0][0]]
    for label, other in sources[1:]:
        if not (names <= other or other <= names):
            names |= other  # the sources disagree: keep every candidate zone
            used.append(label)
    return _resolution(tuple(sorted(names)), "+".join(used))


@lru_cache(maxsize=512)
def _resolution(names: tuple[str, ...], source: str) -> ZoneResolution:
    return ZoneResolution(tuple(zone(name) for name in names), names, source)


@lru_cache(maxsize=256)
def _calendar(country: str, categories: tuple[str, ...], subdivisions: tuple[str, ...] | None) -> HolidayCalendar:
    return HolidayCalendar(country, categories, subdivisions)


@lru_cache(maxsize=64)
def _subdivisions(country: str) -> tuple[str, ...]:
    return tuple(holidays.list_supported_countries().get(country, []))


def holiday_calendar(pack: RulePack, profile: ContactProfile) -> HolidayCalendar | None:
    """The holidays that apply to the debtor: national, plus the state's when the pack says so
    (every state's when the state is unknown: a regional holiday anywhere blocks contact)."""
    if pack.holiday_country is None:
        return None
    if pack.holiday_subdivisions == "none":
        return _calendar(pack.holiday_country, pack.holiday_categories, None)
    known = _subdivisions(pack.holiday_country)
    state = (profile.state or "").strip().upper()
    subdivisions = (state,) if state in known else tuple(known)
    return _calendar(pack.holiday_country, pack.holiday_categories, subdivisions)
