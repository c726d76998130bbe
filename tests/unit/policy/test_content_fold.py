"""The folded form content rules match on: the fast fold (only non-ASCII runs decomposed) equals
the plain definition (NFKD, combining marks dropped, case folded, blanks collapsed) on any text."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from cartera.policy.content import fold


def reference_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_fold_equals_its_definition_on_any_text(text: str) -> None:
    assert fold(text) == reference_fold(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "E", " ", "\n", "é", "Ó", "ñ", "\u0301", "\u0327", "ﬁ", "ß", "İ", "①", "\t"])))
def test_fold_equals_its_definition_where_accents_meet_ascii(parts: list[str]) -> None:
    text = "".join(parts)
    assert fold(text) == reference_fold(text)


def test_accents_case_and_blanks_fold_away() -> None:
    assert fold("  PRISIÓN\t y   Prisión ") == "prision y prision"
