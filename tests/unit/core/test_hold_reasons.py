"""The hold reasons are one list: what people may give (cartera.collector_actions), what the
database accepts (the ops.holds check in the SQL files) and what the contact check maps to the
engine's hold kinds must agree, so a new reason cannot be stored without being enforced."""

from __future__ import annotations

import re

from cartera.collector_actions import HOLD_REASONS
from cartera.config import REPO_ROOT

SQL = REPO_ROOT / "cartera" / "sql"
SYSTEM_REASONS = {"fraud_review"}  # opened by the anomaly review, never by a person


def _latest_sql_reasons() -> set[str]:
    """The reasons of the last `holds_reason_check` the SQL files define (files run in name order)."""
    found: list[set[str]] = []
    for path in sorted(SQL.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"reason\s+in\s*\(([^)]*)\)", text):
            found.append(set(re.findall(r"'([a-z_]+)'", match.group(1))))
    assert found, "no check on ops.holds.reason in cartera/sql"
    return found[-1]


def test_the_database_accepts_exactly_the_reasons_people_give_and_the_system_ones() -> None:
    assert _latest_sql_reasons() == set(HOLD_REASONS) | SYSTEM_REASONS


def test_every_reason_maps_to_an_engine_hold_kind() -> None:
    from cartera.campaigns import contact_check
    from cartera.policy.models import HOLD_KINDS

    mapping = contact_check.HOLD_KINDS
    assert set(mapping) == set(HOLD_REASONS) | SYSTEM_REASONS
    assert set(mapping.values()) <= set(HOLD_KINDS)
