"""Mexico's 07:00–22:00 window in the debtor's zone (cartera/campaigns/contact_window.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cartera.campaigns.contact_window import (
    MEXICO_ZONE_NAMES,
    is_within_window,
    next_allowed_instant,
    resolve_zones,
    same_local_day,
)

CDMX = resolve_zones("America/Mexico_City")
SONORA = resolve_zones("America/Hermosillo")
TIJUANA = resolve_zones("America/Tijuana")
CANCUN = resolve_zones("America/Cancun")
UNKNOWN = resolve_zones(None)


def at(tz: str, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(tz))  # type: ignore[misc]


def test_21_59_is_inside_and_22_00_is_outside_in_mexico_city() -> None:
    assert is_within_window(at("America/Mexico_City", 2026, 3, 10, 21, 59), CDMX)
    assert not is_within_window(at("America/Mexico_City", 2026, 3, 10, 22, 0), CDMX)
    assert not is_within_window(at("America/Mexico_City", 2026, 3, 10, 6, 59), CDMX)
    assert is_within_window(at("America/Mexico_City", 2026, 3, 10, 7, 0), CDMX)


def test_the_same_instant_is_too_late_in_mexico_city_but_fine_in_sonora() -> None:
    instant = at("America/Mexico_City", 2026, 7, 1, 22, 30)  # 21:30 in Hermosillo (no DST)
    assert not is_within_window(instant, CDMX)
    assert is_within_window(instant, SONORA)


def test_tijuana_follows_us_daylight_saving_and_sonora_does_not() -> None:
    summer = dt.datetime(2026, 7, 1, 14, 30, tzinfo=dt.UTC)  # 07:30 Tijuana (PDT), 07:30 Hermosillo
    winter = dt.datetime(2026, 1, 15, 14, 30, tzinfo=dt.UTC)  # 06:30 Tijuana (PST), 07:30 Hermosillo
    assert is_within_window(summer, TIJUANA) and is_within_window(summer, SONORA)
    assert not is_within_window(winter, TIJUANA) and is_within_window(winter, SONORA)


def test_cancun_opens_an_hour_before_mexico_city() -> None:
    instant = at("America/Cancun", 2026, 3, 10, 7, 30)  # 06:30 in Mexico City
    assert is_within_window(instant, CANCUN)
    assert not is_within_window(instant, CDMX)
    assert not is_within_window(at("America/Cancun", 2026, 3, 10, 22, 0), CANCUN)


@pytest.mark.parametrize("zone", ["America/Mexico_City", "America/Hermosillo", "America/Tijuana", "America/Cancun"])
def test_a_deferral_lands_at_7_local_the_next_morning_inside_the_window(zone: str) -> None:
    zones = resolve_zones(zone)
    deferred = next_allowed_instant(at(zone, 2026, 3, 10, 22, 0), zones)
    assert deferred == at(zone, 2026, 3, 11, 7, 0)
    assert is_within_window(deferred, zones)
    assert not is_within_window(deferred - dt.timedelta(seconds=1), zones)


def test_an_early_instant_defers_to_7_the_same_day_and_an_allowed_one_is_kept() -> None:
    assert next_allowed_instant(at("America/Mexico_City", 2026, 3, 10, 3, 0), CDMX) == at(
        "America/Mexico_City", 2026, 3, 10, 7, 0
    )
    allowed = at("America/Mexico_City", 2026, 3, 10, 12, 0)
    assert next_allowed_instant(allowed, CDMX) == allowed


@pytest.mark.parametrize("name", [None, "", "Mars/Olympus_Mons", "not a zone"])
def test_an_unknown_zone_gets_the_strictest_reading_of_all_mexican_zones(name: str | None) -> None:
    zones = resolve_zones(name)
    assert len(zones) == len(MEXICO_ZONE_NAMES)
    # 07:30 in Mexico City is 05:30 in Tijuana (PST): not yet allowed everywhere.
    assert not is_within_window(at("America/Mexico_City", 2026, 1, 15, 7, 30), zones)
    # 21:30 in Tijuana is 23:30 in Cancún: no longer allowed everywhere.
    assert not is_within_window(at("America/Tijuana", 2026, 1, 15, 21, 30), zones)
    opening = next_allowed_instant(at("America/Mexico_City", 2026, 1, 15, 7, 30), zones)
    assert opening == at("America/Tijuana", 2026, 1, 15, 7, 0)
    assert is_within_window(opening, zones)


def test_the_intersection_of_mexican_zones_is_open_at_midday() -> None:
    assert is_within_window(at("America/Mexico_City", 2026, 3, 10, 12, 0), UNKNOWN)


def test_same_local_day_is_read_in_the_debtors_zone() -> None:
    evening = at("America/Tijuana", 2026, 3, 10, 21, 0)  # already the 11th in UTC
    morning = at("America/Tijuana", 2026, 3, 10, 8, 0)
    assert same_local_day(evening, morning, TIJUANA)
    assert not same_local_day(evening, at("America/Tijuana", 2026, 3, 11, 7, 0), TIJUANA)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_within_window(dt.datetime(2026, 3, 10, 12, 0), CDMX)
