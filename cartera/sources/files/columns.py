"""What an import did with each of the file's columns, and why: the evidence the dry run shows and
the import records.

- *used*: our field, the file's column, whether the mapping named it or detection found it, the
  header evidence (:mod:`headers`), for dates and amounts the share of a sample of values that
  read as such, and a confidence (the header score times that share);
- *ambiguous*: other columns that also read as a used field (the mapping settles which);
- *ignored*: columns no field reads;
- *outcomes*: columns that tell what happened after the invoice was issued. The paid date and
  amount are read (they land as payments) and are the backtest's labels, never its features; the
  status is read only to keep cancelled invoices out; any other such column (days late, balance,
  status after payment) is refused: not imported, never a feature.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cartera.sources.files.header_words import looks_like_outcome
from cartera.sources.files.headers import Detection

SAMPLE_ROWS = 200
_USES = {
    "paid_date": "lands as a payment; the backtest's label (whether and when it was paid), never a feature",
    "paid_amount": "lands as a payment; part of the backtest's label, never a feature",
    "status": "read only to keep cancelled invoices out; never a feature",
}
REFUSED = "refused as an outcome: not imported, never a feature"


@dataclass(frozen=True)
class FieldChoice:
    """One used column: `given` when the mapping named it; `score` the header's (1.0 when given);
    `parsed` the share of the sampled non-empty values that read as the field (dates, amounts),
    None when not checked or empty."""

    field: str
    column: str
    given: bool
    score: float
    evidence: str
    parsed: float | None = None
    sampled: int = 0

    @property
    def confidence(self) -> float:
        return round(self.score * (1.0 if self.parsed is None else self.parsed), 2)

    @property
    def level(self) -> str:
        return "high" if self.confidence >= 0.9 else "medium" if self.confidence >= 0.75 else "low"

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "how": "mapping" if self.given else "detected",
            "evidence": self.evidence,
            "parsed_share": self.parsed,
            "sampled": self.sampled,
            "confidence": self.confidence,
            "level": self.level,
        }


@dataclass(frozen=True)
class ColumnReport:
    used: tuple[FieldChoice, ...]
    ambiguous: Mapping[str, tuple[str, ...]]
    ignored: tuple[str, ...]
    outcomes: Mapping[str, str]  # the file's column -> what is done with it

    def as_dict(self) -> dict[str, Any]:
        return {
            "used": {choice.field: choice.as_dict() for choice in self.used},
            "ambiguous": {field: list(columns) for field, columns in self.ambiguous.items()},
            "ignored": list(self.ignored),
            "outcomes": dict(self.outcomes),
        }

    def notes(self) -> list[str]:
        """One warning per kind of column that is not simply used (safe to log: headers only)."""
        notes = []
        refused = [column for column, use in self.outcomes.items() if use == REFUSED]
        if refused:
            notes.append(f"columns {refused} describe what happened after issue: {REFUSED}")
        if self.ignored:
            notes.append(f"columns {list(self.ignored)} are not used (no field reads them; name them in the mapping)")
        for field, columns in self.ambiguous.items():
            chosen = next(c.column for c in self.used if c.field == field)
            notes.append(
                f"{field}: {chosen!r} was taken, but {list(columns)} also read as {field}; name the right one in "
                "the mapping's `columns:` if it is not"
            )
        return notes

    def lines(self) -> list[str]:
        """The dry run's account of the columns."""
        out = ["columns used (field <- column: how, evidence, confidence):"]
        for choice in self.used:
            how = "mapping" if choice.given else f"detected, {choice.evidence}"
            parsed = (
                f"; {choice.parsed:.0%} of {choice.sampled} sampled values read" if choice.parsed is not None else ""
            )
            use = f"; outcome: {_USES[choice.field]}" if choice.field in _USES else ""
            out.append(
                f"  {choice.field} <- {choice.column!r}: {how}{parsed}; confidence {choice.confidence:.2f} "
                f"({choice.level}){use}"
            )
        for field, columns in self.ambiguous.items():
            out.append(f"  ambiguous: {field} could also be {list(columns)} (set it in the mapping's `columns:`)")
        refused = [column for column, use in self.outcomes.items() if use == REFUSED]
        out.append(f"columns refused as outcomes (never imported, never a feature): {refused or 'none'}")
        out.append(f"columns ignored (no field reads them): {list(self.ignored) or 'none'}")
        return out


def column_report(
    header: Sequence[str],
    columns: Mapping[str, str],
    given: Mapping[str, str],
    detection: Detection,
    parsed_share: Callable[[str], tuple[float | None, int]],
) -> ColumnReport:
    """The report for a file whose `header` was read as `columns` ({field: column}); `given` the
    mapping's columns; `parsed_share(field)` the (share, count) of sampled values that read."""
    used = []
    for field, column in columns.items():
        pick = detection.chosen.get(field)
        if field in given:
            score, evidence, is_given = 1.0, "named by the mapping", True
        elif pick is not None and pick.column == column:
            score, evidence, is_given = pick.score, pick.evidence, False
        else:  # moved by what the values show (a 'Cliente' column of names: the RFC identifies)
            score, evidence, is_given = 0.8, "chosen from the values (see the warnings)", False
        share, count = parsed_share(field)
        used.append(FieldChoice(field, column, is_given, score, evidence, share, count))
    taken = set(columns.values())
    unused = [h for h in header if h and h not in taken]
    outcomes = {column: _USES[field] for field, column in columns.items() if field in _USES}
    outcomes |= {h: REFUSED for h in unused if looks_like_outcome(h)}
    ambiguous = {
        field: others
        for field, candidates in detection.ambiguous.items()
        if field in columns
        and field not in given
        and (others := tuple(c.column for c in candidates if c.column not in taken))
    }
    return ColumnReport(
        used=tuple(used),
        ambiguous=ambiguous,
        ignored=tuple(h for h in unused if h not in outcomes),
        outcomes=outcomes,
    )


def sample(body: Iterable[tuple[int, list[Any]]]) -> list[tuple[int, list[Any]]]:
    """The rows whose values are sampled for evidence."""
    return [row for row, _ in zip(body, range(SAMPLE_ROWS), strict=False)]
