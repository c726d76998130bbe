"""Required elements: searching a folded text with a pattern's case-sensitive twin (where the
text has no cased character beyond ASCII) changes no verdict of the IGNORECASE pattern."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cartera.policy.content import _case_sensitive_twin, check_content, fold
from cartera.policy.rulepack import load_rule_pack

PACK = load_rule_pack("MX")
REQUIRED = [r for r in PACK.rules_for("consumer", "email").content if r.requirement == "required"]
# Pieces that satisfy the required patterns, pieces that almost do, and characters whose case
# matters to IGNORECASE (dotless ı, İ, the Kelvin sign, long s, ß, capitals) or does not (¿, ·).
PIECES = [
    "Saldo calculado al 10/03/2026",
    "saldo calculado al 10 de marzo de 2026",
    "$1,013.50 MXN",
    "1.013,50 pesos",
    "Unidad Especializada de Atención a Usuarios (UNE), teléfono 55 0000 0001",
    "une: une@example.mx",
    "Ejemplo S.A. de C.V.",
    "RFC EJE200101AA0",
    "unıdad especializada",
    "saldo calculado al",
    "İ",
    "ı",
    "\u212a",
    "ſ",
    "ß",
    "¿",
    "·",
    "ø",
    "Ø",
    "A",
    " ",
    "\n",
]


def reference_missing(text: str, language: str = "es") -> set[str]:
    """The required elements the IGNORECASE patterns do not find in the folded text."""
    folded = fold(text)
    missing = set()
    for rule in REQUIRED:
        pattern = rule.pattern_for(language)
        assert pattern is not None and pattern.flags & re.IGNORECASE
        if pattern.search(folded) is None:
            missing.add(rule.meta.id)
    return missing


def missing(text: str) -> set[str]:
    report = check_content(text, "es", PACK)
    return {v.rule_id for v in report.violations if v.code == "content_missing"}


def test_every_required_pattern_of_the_pack_has_a_case_sensitive_twin() -> None:
    assert REQUIRED
    for rule in REQUIRED:
        pattern = rule.pattern_for("es")
        assert pattern is not None
        twin = _case_sensitive_twin(pattern)
        assert twin is not None and not twin.flags & re.IGNORECASE


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=10))
def test_the_twin_gives_the_ignorecase_verdict_on_any_text(parts: list[str]) -> None:
    text = " ".join(parts) if len(parts) % 2 else "".join(parts)
    assert missing(text) == reference_missing(text)


def test_a_cased_character_beyond_ascii_keeps_the_ignorecase_pattern() -> None:
    # Ignoring case, "i" matches the dotless "ı": the UNE's contact is found. Its case-sensitive
    # twin would not find it, so a text holding "ı" must not be searched with the twin.
    text = "Unıdad especializada de atención a usuarios, teléfono 55 0000 0001"
    une = next(r for r in REQUIRED if r.meta.id.endswith("/une_contact"))
    pattern = une.pattern_for("es")
    assert pattern is not None
    twin = _case_sensitive_twin(pattern)
    assert twin is not None and twin.search(fold(text)) is None
    assert une.meta.id not in missing(text)
    assert une.meta.id not in reference_missing(text)


def test_a_pattern_that_names_a_capital_or_a_character_code_has_no_twin() -> None:
    assert _case_sensitive_twin(re.compile(r"UNE\s\d", re.IGNORECASE)) is None
    assert _case_sensitive_twin(re.compile(r"\x41bc", re.IGNORECASE)) is None
    assert _case_sensitive_twin(re.compile(r"\N{LATIN SMALL LETTER A}", re.IGNORECASE)) is None
    assert _case_sensitive_twin(re.compile(r"caf\u00e9", re.IGNORECASE)) is None
    assert _case_sensitive_twin(re.compile(r"\\S", re.IGNORECASE)) is None  # a backslash, then a capital S
    twin = _case_sensitive_twin(re.compile(r"\bune\S*\d", re.IGNORECASE))
    assert twin is not None and twin.pattern == r"\bune\S*\d"
