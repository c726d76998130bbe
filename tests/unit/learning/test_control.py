from __future__ import annotations

import pytest

from cartera.learning.control import group_of


def test_a_customer_stays_in_its_group_on_every_call() -> None:
    assert {group_of("C00042") for _ in range(5)} == {group_of("C00042")}


def test_about_a_tenth_of_customers_are_kept_on_the_playbook() -> None:
    groups = [group_of(f"C{i:05d}") for i in range(20_000)]
    share = groups.count("control") / len(groups)
    assert 0.09 < share < 0.11


def test_another_salt_draws_another_group() -> None:
    ids = [f"C{i:05d}" for i in range(2_000)]
    first = {c for c in ids if group_of(c) == "control"}
    second = {c for c in ids if group_of(c, salt="other") == "control"}
    assert first != second
    assert len(first & second) < len(first) / 2


def test_a_share_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="control share"):
        group_of("C1", share=1.5)
