"""The vocabulary suites are written in: a `Check` is one GX expectation plus the rule name and the
plain-words reason that go to `quarantine.rejected_rows`. Suites are data; `expectations.gate`
turns them into Great Expectations objects (so this module imports no GX and stays cheap).

Reasons name the field, never the value: they are stored and logged next to personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cartera.raw_contract import raw_columns
from expectations.reference import (
    EARLIEST_DOCUMENT_DATE,
    KNOWN_CURRENCIES,
    LATEST_DATE_PARAMETER,
    ROW_NUMBER_COLUMN,
)


@dataclass(frozen=True)
class Check:
    """One expectation. `row_level` checks reject the failing rows; the others fail the whole gate."""

    rule: str
    expectation: str  # class name in great_expectations.expectations
    kwargs: Mapping[str, Any]
    reason: str
    row_level: bool = True


@dataclass(frozen=True)
class DatasetSuite:
    """The checks of one raw entity. `key` is its natural key (one or more columns)."""

    entity: str
    key: tuple[str, ...]
    checks: tuple[Check, ...]
    max_rejected_share: float | None = field(default=None)  # None: the gate's default

    def checked_columns(self) -> frozenset[str]:
        """The columns some check reads the values of (the key's included); the table-level
        contract reads only the column names."""
        named: set[str] = set(self.key)
        for check in self.checks:
            for name in ("column", "column_A", "column_B"):
                if name in check.kwargs:
                    named.add(check.kwargs[name])
            named.update(check.kwargs.get("column_list", ()))
        return frozenset(named)

    def all_checks(self) -> tuple[Check, ...]:
        """The declared checks plus the table-level contract: exactly the raw entity's columns."""
        return (columns_match_contract(self.entity), *self.checks)


def columns_match_contract(entity: str) -> Check:
    """Table level: the batch has exactly the canonical columns (a mapping bug fails the gate)."""
    return Check(
        "columns_match_contract",
        "ExpectTableColumnsToMatchSet",
        {"column_set": [*raw_columns(entity), ROW_NUMBER_COLUMN], "exact_match": True},
        f"the {entity} batch does not have exactly the columns of raw.{entity}",
        row_level=False,
    )


def key_checks(*key: str) -> tuple[Check, ...]:
    """The key is present and unique within the batch (a duplicate is ambiguous: all copies go)."""
    present = tuple(not_null(column) for column in key)
    if len(key) == 1:
        unique = Check(
            f"{key[0]}_unique",
            "ExpectColumnValuesToBeUnique",
            {"column": key[0]},
            f"{key[0]} appears more than once in the batch",
        )
    else:
        unique = Check(
            "key_unique",
            "ExpectCompoundColumnsToBeUnique",
            {"column_list": list(key)},
            f"({', '.join(key)}) appears more than once in the batch",
        )
    return (*present, unique)


def not_null(column: str) -> Check:
    return Check(f"{column}_not_null", "ExpectColumnValuesToNotBeNull", {"column": column}, f"{column} is missing")


def non_negative(column: str) -> Check:
    return Check(
        f"{column}_non_negative",
        "ExpectColumnValuesToBeBetween",
        {"column": column, "min_value": 0},
        f"{column} is negative",
    )


def in_range(column: str, low: float, high: float, unit: str = "") -> Check:
    return Check(
        f"{column}_in_range",
        "ExpectColumnValuesToBeBetween",
        {"column": column, "min_value": low, "max_value": high},
        f"{column} is outside {low}–{high}{' ' + unit if unit else ''}",
    )


def known_currency(column: str = "currency", *, required: bool = True) -> tuple[Check, ...]:
    """The currency is one of KNOWN_CURRENCIES (and present, unless optional)."""
    known = Check(
        f"{column}_known",
        "ExpectColumnValuesToBeInSet",
        {"column": column, "value_set": list(KNOWN_CURRENCIES)},
        f"{column} is not a known currency code ({', '.join(KNOWN_CURRENCIES)})",
    )
    return (not_null(column), known) if required else (known,)


def sane_date(column: str, *, required: bool = True) -> tuple[Check, ...]:
    """Not before EARLIEST_DOCUMENT_DATE, not after the load's upper bound (a suite parameter)."""
    sane = Check(
        f"{column}_sane",
        "ExpectColumnValuesToBeBetween",
        {"column": column, "min_value": EARLIEST_DOCUMENT_DATE, "max_value": {"$PARAMETER": LATEST_DATE_PARAMETER}},
        f"{column} is before {EARLIEST_DOCUMENT_DATE.isoformat()} or after the load's upper bound",
    )
    return (not_null(column), sane) if required else (sane,)


def not_before(later: str, earlier: str) -> Check:
    """`later` >= `earlier` where both are set (e.g. due_date >= issue_date)."""
    return Check(
        f"{later}_not_before_{earlier}",
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {"column_A": later, "column_B": earlier, "or_equal": True, "ignore_row_if": "either_value_is_missing"},
        f"{later} is before {earlier}",
    )
