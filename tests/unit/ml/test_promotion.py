"""The rule a model promotion rests on (ml/promotion.py `judge`): measured against the champion in
force, and the AUC difference's 95 % interval wholly above the stated minimum."""

from __future__ import annotations

from typing import Any

from ml.promotion import judge


def _found(low: float | None, value: float | None, high: float | None, champion: str = "m1") -> dict[str, Any]:
    return {
        "champion_model_id": champion,
        "n": 120,
        "auc_difference": {"value": value, "ci95_low": low, "ci95_high": high},
    }


def test_an_interval_wholly_above_the_minimum_supports_the_promotion() -> None:
    assert judge(_found(0.02, 0.05, 0.08), "m1", 0.0) is None
    assert judge(_found(0.02, 0.05, 0.08), "m1", 0.01) is None


def test_an_interval_touching_or_crossing_the_minimum_does_not() -> None:
    assert "does not lie wholly above +0.0000" in (judge(_found(-0.01, 0.03, 0.07), "m1", 0.0) or "")
    assert "does not lie wholly above +0.0200" in (judge(_found(0.02, 0.05, 0.08), "m1", 0.02) or "")


def test_evidence_against_another_champion_or_without_an_interval_does_not() -> None:
    assert "not the champion in force (m2)" in (judge(_found(0.02, 0.05, 0.08), "m2", 0.0) or "")
    assert "not enough evidence" in (judge(_found(None, None, None), "m1", 0.0) or "")
    assert "no evidence" in (judge({}, "m1", 0.0) or "")
