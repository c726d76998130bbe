"""Time-zone resolution (precedence, disagreement, unknown) and the bilingual sentences."""

from __future__ import annotations

from policy_builders import default_engine

from cartera.policy import ContactProfile
from cartera.policy.models import HOLD_KINDS
from cartera.policy.texts import TEXTS
from cartera.policy.zones import resolve_zones

MX = default_engine().packs["MX"]


def test_an_address_zone_wins_when_the_state_agrees() -> None:
    found = resolve_zones(MX, ContactProfile("c", "MX", True, timezone="America/Ciudad_Juarez", state="CHH"))
    assert found.names == ("America/Ciudad_Juarez",) and found.source == "address"


def test_disagreeing_sources_keep_every_candidate_zone() -> None:
    found = resolve_zones(MX, ContactProfile("c", "MX", True, timezone="America/Mexico_City", phone_area_code="664"))
    assert set(found.names) == {"America/Mexico_City", "America/Tijuana"} and found.source == "address+area_code"


def test_an_unknown_or_unusable_zone_means_every_zone_of_the_country() -> None:
    for profile in (
        ContactProfile("c", "MX", True),
        ContactProfile("c", "MX", True, timezone="Mars/Olympus", state="??"),
    ):
        found = resolve_zones(MX, profile)
        assert found.source == "unknown" and set(found.names) == set(MX.zones)


def test_every_reason_code_has_a_spanish_and_an_english_sentence() -> None:
    for kind in HOLD_KINDS:
        assert f"hold_{kind}" in TEXTS
    for es, en in TEXTS.values():
        assert es.strip() and en.strip() and es != en


def test_every_packaged_rule_cites_a_source_and_a_verification_mark() -> None:
    for pack in default_engine().packs.values():
        for rule in pack.rules:
            assert rule.meta.citation and rule.meta.verification in {"V", "V-sec", "R", "design"}
