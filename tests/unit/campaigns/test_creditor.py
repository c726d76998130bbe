"""The creditor's settings and the CLABE check digit (cartera/campaigns/creditor.py)."""

from __future__ import annotations

import pytest

from cartera.campaigns.creditor import (
    Creditor,
    clabe_check_digit,
    creditor_from_settings,
    is_valid_clabe,
    short_name_of,
)
from cartera.config import get_settings
from cartera.errors import ConfigurationError


@pytest.mark.parametrize("clabe", ["032180000118359719", "002180000000000009"])
def test_a_clabe_with_its_check_digit_is_valid(clabe: str) -> None:
    assert is_valid_clabe(clabe)
    assert clabe_check_digit(clabe[:17]) == int(clabe[-1])


@pytest.mark.parametrize(
    "clabe", ["032180000118359710", "03218000011835971", "0321800001183597190", "03218000011835971A", ""]
)
def test_a_wrong_check_digit_length_or_character_is_refused(clabe: str) -> None:
    assert not is_valid_clabe(clabe)


def test_every_single_digit_typo_is_caught() -> None:
    good = "032180000118359719"
    for position in range(17):
        for digit in "0123456789":
            if digit != good[position]:
                typo = good[:position] + digit + good[position + 1 :]
                assert not is_valid_clabe(typo), typo


def test_the_demo_defaults_are_a_valid_creditor() -> None:
    creditor = creditor_from_settings()
    assert is_valid_clabe(creditor.clabe) and creditor.rfc == get_settings().creditor_rfc
    assert creditor.legal_name == get_settings().company_name
    assert "demo" in creditor.bank_name.lower()
    assert creditor.une_contact == "55 0000 0001, une@example.com"  # fake: a 0000 number and example.com


@pytest.mark.parametrize(("field", "value"), [("une_phone", "123"), ("une_email", "une-at-example")])
def test_a_une_contact_a_message_could_not_show_as_one_is_refused(field: str, value: str) -> None:
    from statement_inputs import CREDITOR

    with pytest.raises(ValueError, match=field):
        Creditor.model_validate({**CREDITOR.model_dump(), field: value})


def test_a_bad_clabe_in_the_settings_names_the_setting_not_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTERA_CREDITOR_CLABE", "032180000118359710")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="CARTERA_CREDITOR_CLABE") as raised:
            creditor_from_settings()
        assert "032180000118359710" not in str(raised.value)
    finally:
        monkeypatch.delenv("CARTERA_CREDITOR_CLABE")
        get_settings.cache_clear()


def test_spaces_in_a_clabe_and_lower_case_in_an_rfc_are_normalised() -> None:
    creditor = Creditor(
        legal_name="X S.A. de C.V.", short_name="X", rfc="dej200101aa0", bank_name="B", clabe="002 180 00000000000 9",
        contact_name="C", contact_phone="1", contact_hours_es="h", contact_hours_en="h", disputes_email="a@b.mx",
        une_phone="55 1234 5678", une_email="une@b.mx",
    )  # fmt: skip
    assert (creditor.clabe, creditor.rfc) == ("002180000000000009", "DEJ200101AA0")


def test_the_short_name_drops_the_company_type() -> None:
    assert short_name_of("Distribuidora Ejemplo S.A. de C.V.") == "Distribuidora Ejemplo"
    assert short_name_of("Aceros del Norte, S. de R.L. de C.V.") == "Aceros del Norte"
    assert len(short_name_of("Una Empresa Con Un Nombre Larguísimo Para Un SMS S.A.")) <= 30
