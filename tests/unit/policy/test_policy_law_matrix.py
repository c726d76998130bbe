"""The law matrix (law_matrix.yml): each real situation gets the verdict, next allowed instant
and reasons the country's rules demand."""

from __future__ import annotations

from typing import Any

import pytest
from policy_builders import (
    candidate_from,
    content_from,
    engine_for,
    history_from,
    holds_from,
    instant,
    load_matrix,
    payments_from,
    profile_from,
)

CASES = load_matrix()


def test_the_matrix_has_at_least_sixty_situations_with_unique_ids() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) >= 60
    assert len(set(ids)) == len(ids)


def test_the_matrix_covers_recipients_and_content_in_both_directions() -> None:
    roles = [case for case in CASES if "role" in case]
    texts = [case for case in CASES if "content" in case]
    for cases in (roles, texts):
        assert {case["expect"] for case in cases} >= {"allow", "deny"}
    assert {case["country"] for case in roles} >= {"MX", "CO", "US"}
    assert {case["content"]["language"][:2] for case in texts} >= {"es", "en"}


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_the_engine_decides_as_the_law_matrix_says(case: dict[str, Any]) -> None:
    engine = engine_for(case.get("creditor"), case["country"])
    decision = engine.decide(
        candidate_from(case),
        profile_from(case["country"], case.get("profile", {})),
        history_from(case.get("history", []), case["invoices"]),
        holds_from(case.get("holds", [])),
        payments_from(case.get("payments", [])),
        content=content_from(case, engine),
    )
    assert decision.verdict == case["expect"], f"{case['why']}: {decision.reason_codes}"
    if case["expect"] == "defer":
        assert decision.next_allowed_at == instant(case["next"]), case["why"]
    else:
        assert decision.next_allowed_at is None
    if "codes" in case:
        assert list(decision.reason_codes) == case["codes"]
    if "blocked" in case:
        assert list(decision.blocked_invoice_ids) == case["blocked"]
    assert decision.reason_es and decision.reason_en
    if decision.verdict != "allow":
        assert decision.rule_id.split("/")[0] in {decision.rule_pack_id, "PLATFORM", "creditor:acme", "none"}
