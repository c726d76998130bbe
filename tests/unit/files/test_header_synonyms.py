"""The table of fields and the headers that mean them (cartera/sources/files/header_synonyms.py)."""

from __future__ import annotations

from cartera.sources.files.header_synonyms import SYNONYMS
from cartera.sources.files.header_words import tokens


def test_no_two_fields_share_a_synonym() -> None:
    owner: dict[frozenset[str], str] = {}
    for field, synonyms in SYNONYMS.items():
        for synonym in synonyms:
            words = frozenset(tokens(synonym))
            assert owner.setdefault(words, field) == field, (synonym, field, owner[words])
