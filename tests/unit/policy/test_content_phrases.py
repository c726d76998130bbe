"""Prohibited phrases: the substring pre-check before the whole-word pattern changes no verdict."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from cartera.policy.content import check_content
from cartera.policy.rulepack import load_rule_pack
from cartera.policy.rules import ContentRule, RulePack

PACK = load_rule_pack("MX")
PROHIBITED = [r for r in PACK.rules_for("consumer", "email").content if r.requirement == "prohibited"]
PHRASES = sorted({phrase for rule in PROHIBITED for phrase in rule.phrases_for("es") or ()})
FILLER = ["su", "factura", "vence", "hoy", "de", "trabajo", "juzgado", "x", ",", ".", "¡", "Á", "\n"]


def without_pre_check() -> RulePack:
    """The same pack with the phrase lists dropped: prohibited rules run their pattern on every text."""
    return dataclasses.replace(
        PACK,
        rules=tuple(
            dataclasses.replace(rule, phrases=()) if isinstance(rule, ContentRule) else rule for rule in PACK.rules
        ),
        _sets={},  # a fresh cache of rule sets, not the original pack's
    )


PLAIN = without_pre_check()


def test_the_pack_lists_phrases_for_its_prohibited_rules() -> None:
    assert PROHIBITED and all(rule.phrases_for("es") for rule in PROHIBITED)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PHRASES), st.sampled_from(FILLER), st.text(max_size=3)), max_size=12))
def test_the_pre_check_gives_the_patterns_verdict_on_any_text(parts: list[str]) -> None:
    text = " ".join(parts) if len(parts) % 2 else "".join(parts)  # phrases glued to words, or apart
    with_check = check_content(text, "es", PACK)
    plain = check_content(text, "es", PLAIN)
    assert with_check.violations == plain.violations


def test_a_listed_phrase_is_found_and_one_inside_a_longer_word_is_not() -> None:
    phrase = PHRASES[0]
    found = check_content(f"Estimado cliente: {phrase.upper()}.", "es", PACK)
    assert any(v.code == "content_prohibited" and v.item == phrase for v in found.violations)
    glued = check_content(f"Estimado cliente: x{phrase}x.", "es", PACK)
    assert not any(v.code == "content_prohibited" for v in glued.violations)
