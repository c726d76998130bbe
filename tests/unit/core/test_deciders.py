"""Who may take a decision about strategies and models: a named person, never an account."""

from __future__ import annotations

import pytest

from cartera.deciders import named_person


@pytest.mark.parametrize("name", ["", "  ", "x", "42", "root", "Airflow", " postgres ", "SYSTEM"])
def test_blank_short_numeric_and_account_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="the name of the person taking it"):
        named_person(name)


def test_a_name_is_kept_with_its_spaces_normalised() -> None:
    assert named_person("  Ana   López ") == "Ana López"
