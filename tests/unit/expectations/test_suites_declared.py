"""Every raw entity has a suite, written in terms of its own columns, with distinct rule names."""

from __future__ import annotations

import pytest

from cartera.raw_contract import ENTITIES, raw_columns
from expectations.suites import SUITES


def test_every_raw_entity_has_a_suite() -> None:
    assert set(SUITES) == set(ENTITIES)


@pytest.mark.parametrize("entity", ENTITIES)
def test_a_suite_names_only_columns_of_its_entity_and_each_rule_once(entity: str) -> None:
    suite = SUITES[entity]
    columns = set(raw_columns(entity))
    assert set(suite.key) <= columns
    rules = [check.rule for check in suite.all_checks()]
    assert len(rules) == len(set(rules))
    for check in suite.checks:
        named = {v for k, v in check.kwargs.items() if k in ("column", "column_A", "column_B")}
        named |= set(check.kwargs.get("column_list", []))
        assert named <= columns, check.rule
        assert any(column in check.reason for column in named), check.rule  # the reason names the field
