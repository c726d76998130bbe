"""Recognising an export's columns: English and Spanish headers of common ERP and accounting
reports, written in any case or style (``invoiceNumber``, ``due_date``, ``Fecha de Emisión``,
``NÚM. FACTURA``).

A header is cut into words (:func:`~cartera.sources.files.header_words.tokens`: camelCase and
snake_case split, punctuation dropped, accents stripped, lower-cased, Spanish and English
abbreviations spelt out) and compared with each field's synonyms
(:data:`~cartera.sources.files.header_synonyms.SYNONYMS`, cut the same way). The score says how
close the match is:

- 1.0: the same words in the same order (``invoiceNumber`` = "invoice number");
- 0.95: the same words in another order (``Número de factura`` / "factura numero");
- 0.85: a synonym plus a qualifier that changes nothing (``Invoice Status``);
- 0.5 to 0.8: a synonym plus words we do not know, less the more there are;
- no match when the extra words belong to another field (``Customer Name`` is not the customer's
  id) or change the meaning (``Days Late``, ``Open Amount``, ``Folio Fiscal``).

Each column goes to at most one field and each field to one column, best score first (a tie goes
to the leftmost column, as an export puts its main columns first). The other columns that also
read as a field are returned as ambiguous, so that the dry run can show them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cartera.sources.files.header_synonyms import SYNONYMS
from cartera.sources.files.header_words import OUTCOME_WORDS, normalise, tokens

# The lowest score at which a header is taken for a field without a mapping.
ACCEPT = 0.6
# Words that change what a synonym inside the header means (``Folio Fiscal`` is not the invoice number).
_OTHER_MEANING = OUTCOME_WORDS | {"fiscal", "uuid", "cfdi", "sat", "tax", "iva", "impuesto", "discount", "descuento"}
# Words that qualify a field without changing it ("Invoice Status" is the status).
_QUALIFIERS = frozenset({"invoice", "factura", "document", "documento", "doc", "original", "utc", "local"})

_SYNONYM_TOKENS = {field: tuple(dict.fromkeys(tokens(s) for s in synonyms)) for field, synonyms in SYNONYMS.items()}
_VOCABULARY = {field: frozenset(t for s in phrases for t in s) for field, phrases in _SYNONYM_TOKENS.items()}
_ALL_WORDS = frozenset(t for words in _VOCABULARY.values() for t in words)


@dataclass(frozen=True)
class Candidate:
    """A column that reads as a field: its position, the score (see the module docstring), and
    the synonym whose words matched (the evidence)."""

    field: str
    column: str
    position: int
    score: float
    words: tuple[str, ...]
    synonym: tuple[str, ...]

    @property
    def evidence(self) -> str:
        how = "same words" if self.score == 1.0 else "same words, other order" if self.score == 0.95 else "contains"
        return f"{' '.join(self.words)!r} ~ {' '.join(self.synonym)!r} ({how})"


@dataclass(frozen=True)
class Detection:
    """{field: the chosen candidate}, and {field: other columns that also read as it}."""

    chosen: dict[str, Candidate]
    ambiguous: dict[str, tuple[Candidate, ...]]


def score(words: tuple[str, ...], field: str) -> tuple[float, tuple[str, ...]]:
    """How well a header's words read as `field`, and the synonym that matched (0.0, () if none)."""
    have = set(words)
    best: tuple[float, tuple[str, ...]] = (0.0, ())
    for synonym in _SYNONYM_TOKENS[field]:
        wanted = set(synonym)
        if words == synonym:
            value = 1.0
        elif have == wanted:
            value = 0.95
        elif wanted and wanted < have:
            extra = have - wanted
            own = _VOCABULARY[field]
            foreign = {w for w in extra if w in _ALL_WORDS and w not in own and w not in _QUALIFIERS}
            if foreign or (extra & _OTHER_MEANING) - own:
                continue
            value = 0.85 if extra <= _QUALIFIERS else round(0.5 + 0.3 * len(wanted) / len(have), 2)
        else:
            continue
        if value > best[0]:
            best = (value, synonym)
    return best


def candidates(headers: Iterable[object]) -> list[Candidate]:
    """Every (column, field) pair scoring at least ACCEPT, best first, then leftmost, then field order."""
    found = []
    order = {field: i for i, field in enumerate(SYNONYMS)}
    for position, header in enumerate(headers):
        words = tokens(header)
        if not words:
            continue
        for field in SYNONYMS:
            value, synonym = score(words, field)
            if value >= ACCEPT:
                found.append(Candidate(field, str(header), position, value, words, synonym))
    return sorted(found, key=lambda c: (-c.score, c.position, order[c.field]))


def detect_columns(headers: Iterable[object], given: Mapping[str, str] | None = None) -> Detection:
    """The columns that read as our fields (see the module docstring). `given` ({field: header},
    from a mapping) is left out: its fields and columns are taken already."""
    headers = list(headers)
    given = dict(given or {})
    taken_columns = {normalise(column) for column in given.values()}
    chosen: dict[str, Candidate] = {}
    taken: set[int] = {i for i, h in enumerate(headers) if normalise(h) in taken_columns}
    every = candidates(headers)
    for candidate in every:
        if candidate.field in chosen or candidate.field in given or candidate.position in taken:
            continue
        chosen[candidate.field] = candidate
        taken.add(candidate.position)
    used = {c.position for c in chosen.values()}
    ambiguous = {
        field: others
        for field, pick in chosen.items()
        if (
            others := tuple(
                c for c in every if c.field == field and c.position not in used and c.position != pick.position
            )
        )
    }
    return Detection(chosen, ambiguous)


def detect(headers: Iterable[object]) -> dict[str, str]:
    """{canonical field: the file's header} for every header we recognise."""
    found = {field: candidate.column for field, candidate in detect_columns(headers).chosen.items()}
    # A file with only an RFC identifies customers by it.
    if "customer_id" not in found and "rfc" in found:
        found["customer_id"] = found["rfc"]
    return found


def recognised(headers: Iterable[object]) -> int:
    """How many cells of a row read like our headers (to find the header row under a title)."""
    return len({c.position for c in candidates(headers)})
