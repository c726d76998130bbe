"""RFCs of the synthetic customers have the persona-moral shape and a correct SAT check digit."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from cartera.synthetic.rfc import RFC_MORAL_PATTERN, check_digit, is_valid_rfc_moral, name_initials, rfc_moral


@pytest.mark.parametrize("published", ["WMT970714R10", "CFE370814QI0", "TME840315KT6"])
def test_check_digit_matches_published_rfcs_of_real_companies(published: str) -> None:
    assert check_digit(published[:11]) == published[11]
    assert is_valid_rfc_moral(published)


def test_initials_skip_articles_and_legal_forms() -> None:
    assert name_initials("Productora Murillo y Menéndez S.A. de C.V.") == "PMM"
    assert name_initials("Grupo de la Peña S. de R.L. de C.V.") == "GRP"
    assert name_initials("Ñandú S.C.") == "ÑAN"


def test_generated_rfcs_have_twelve_characters_date_and_valid_homoclave() -> None:
    rng = random.Random(1)
    for day in range(0, 3650, 7):
        incorporated = dt.date(1990, 1, 1) + dt.timedelta(days=day)
        rfc = rfc_moral("Comercializadora Ortega y Ruiz S.A. de C.V.", incorporated, rng)
        assert len(rfc) == 12
        assert RFC_MORAL_PATTERN.match(rfc), rfc
        assert rfc[3:9] == incorporated.strftime("%y%m%d")
        assert is_valid_rfc_moral(rfc)


def test_a_wrong_check_digit_or_shape_is_rejected() -> None:
    assert not is_valid_rfc_moral("WMT970714R11")
    assert not is_valid_rfc_moral("WMT971314R10")  # month 13
    assert not is_valid_rfc_moral("WM970714R10")
