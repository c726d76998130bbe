"""Phone numbers to E.164 and the time zone their area code implies (cartera/channels/phones.py).
The numbers are made up: 55 5000 0xxx style, never a real person's."""

from __future__ import annotations

import pytest

from cartera.channels.phones import to_e164, zone_for_number


@pytest.mark.parametrize(
    "raw",
    [
        "5550000123",  # ten-digit national
        "55 5000 0123",
        "55-5000-0123",
        "(55) 5000.0123",
        "+52 55 5000 0123",
        "+525550000123",
        "0052 55 5000 0123",  # international prefix dialled from Mexico
    ],
)
def test_mexican_numbers_in_common_spellings_become_one_e164(raw: str) -> None:
    assert to_e164(raw) == "+525550000123"


@pytest.mark.parametrize(
    "raw",
    [
        "+52 1 55 5000 0123",  # the mobile 1 dropped in 2019
        "+5215550000123",
        "52 1 55 5000 0123",  # the same without the +
        "044 55 5000 0123",  # national mobile prefixes
        "045 55 5000 0123",
        "01 55 5000 0123",  # national long distance
    ],
)
def test_the_pre_2019_mexican_forms_become_the_current_ten_digit_number(raw: str) -> None:
    assert to_e164(raw) == "+525550000123"


@pytest.mark.parametrize(
    "raw", [None, "", "   ", "12345", "55 5000 012", "0000000000", "5200000000", "llámame", "+52 1 55"]
)
def test_invalid_or_incomplete_numbers_give_none(raw: str | None) -> None:
    assert to_e164(raw) is None


def test_another_country_keeps_its_code_and_the_default_region_applies_to_national_numbers() -> None:
    assert to_e164("+1 202 555 0143") == "+12025550143"
    assert to_e164("202 555 0143", default_region="US") == "+12025550143"
    # Old Mexican national prefixes are read only when the default region is Mexico.
    assert to_e164("044 55 5000 0123", default_region="US") is None
    assert to_e164("+52 1 55 5000 0123", default_region="US") == "+525550000123"


@pytest.mark.parametrize(
    ("e164", "zone"),
    [
        ("+525550000123", "America/Mexico_City"),
        ("+526640000123", "America/Tijuana"),
        ("+529980000123", "America/Cancun"),
        ("+528180000123", "America/Mexico_City"),  # Monterrey keeps central time
    ],
)
def test_a_mexican_area_code_names_its_time_zone(e164: str, zone: str) -> None:
    assert zone_for_number(e164) == zone


def test_no_zone_for_an_invalid_number_or_a_country_with_several() -> None:
    assert zone_for_number("+5212345") is None
    assert zone_for_number("not a number") is None
    # A Canadian toll-free number spans the country's six zones.
    assert zone_for_number("+18005550143") is None
