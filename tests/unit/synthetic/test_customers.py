"""Synthetic customers look like Mexican companies spread over the country's states and time zones,
with contacts that can never reach a real person."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter

import pytest
from faker import Faker

from cartera.synthetic.behaviours import Behaviour
from cartera.synthetic.customers import Customer, build_customers
from cartera.synthetic.rfc import is_valid_rfc_moral

AS_OF = dt.date(2026, 4, 30)
START = dt.date(2024, 5, 1)
ISO_STATES = set(
    "AGU BCN BCS CAM CHP CHH CMX COA COL DUR GUA GRO HID JAL MEX MIC MOR NAY NLE OAX PUE QUE ROO SLP SIN SON TAB TAM TLA VER YUC ZAC".split()
)


@pytest.fixture(scope="module")
def many() -> list[Customer]:
    fake = Faker("es_MX")
    fake.seed_instance(3)
    return build_customers(random.Random(3), fake, 2000, start=START, as_of=AS_OF)


def test_every_state_appears_with_iso_codes_and_the_big_four_lead(many: list[Customer]) -> None:
    counts = Counter(c.state_code for c in many)
    assert set(counts) == ISO_STATES
    assert {code for code, _ in counts.most_common(4)} == {"CMX", "MEX", "JAL", "NLE"}


def test_customers_fall_in_every_mexican_time_zone(many: list[Customer]) -> None:
    zones = Counter(c.city.tz for c in many)
    for zone in (
        "America/Mexico_City",
        "America/Monterrey",
        "America/Tijuana",
        "America/Hermosillo",
        "America/Mazatlan",
        "America/Cancun",
        "America/Merida",
        "America/Chihuahua",
        "America/Matamoros",
    ):
        assert zones[zone] > 0, zone
    assert zones["America/Mexico_City"] / len(many) > 0.5


def test_rfcs_are_valid_and_unique(many: list[Customer]) -> None:
    assert all(is_valid_rfc_moral(c.vat) for c in many)
    assert len({c.vat for c in many}) == len(many)


def test_contacts_use_reserved_domains_and_e164_mexican_mobiles(many: list[Customer]) -> None:
    for customer in many:
        assert re.fullmatch(r"[a-z]+\.[a-z]+\.\d+@example\.(com|mx)", customer.contact.email)
        assert re.fullmatch(r"\+52\d{10}", customer.contact.mobile)
        assert customer.contact.mobile[3:].startswith(customer.city.area_code)


def test_contact_consents_and_languages_have_the_intended_shares(many: list[Customer]) -> None:
    contacts = [c.contact for c in many]
    assert 0.55 < sum(k.whatsapp_opt_in for k in contacts) / len(contacts) < 0.65
    assert 0.005 < sum(k.email_opt_out for k in contacts) / len(contacts) < 0.04
    assert 0.85 < sum(k.lang == "es_MX" for k in contacts) / len(contacts) < 0.95
    assert all(k.preferred_channel != "whatsapp" or k.whatsapp_opt_in for k in contacts)
    assert all(k.preferred_channel != "email" or not k.email_opt_out for k in contacts)


def test_terms_behaviours_and_start_dates_follow_the_profile(many: list[Customer]) -> None:
    assert {c.payment_term_days for c in many} == {15, 30, 60, 90}
    assert set(Counter(c.behaviour for c in many)) == set(Behaviour)
    for customer in many:
        if customer.behaviour is Behaviour.NEW_CUSTOMER:
            assert (AS_OF - customer.first_day).days < 90
        else:
            assert START <= customer.first_day <= AS_OF - dt.timedelta(days=180)
        assert customer.created_at <= customer.write_date
        assert customer.created_at.date() <= customer.first_day
