"""The parameters of a generation and what it wrote."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# Bump when the generated data changes for the same parameters: a stored generation of another
# version is then regenerated instead of being taken as up to date.
GENERATOR_VERSION = 1


@dataclass(frozen=True, slots=True)
class GenerationParams:
    """What determines the generated data: same parameters, byte-identical rows."""

    seed: int
    customers: int
    months: int
    as_of: dt.date

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise ValueError("customers must be at least 1")
        if not 1 <= self.months <= 120:
            raise ValueError("months must be between 1 and 120")


@dataclass(frozen=True, slots=True)
class GenerationSummary:
    """Row counts per ERP table and the parameters that produced them. ``reused`` is True when the
    schema already held this generation and nothing was written (not part of equality)."""

    schema: str
    seed: int
    customers: int
    months: int
    as_of: dt.date
    counts: dict[str, int]
    generator_version: int = GENERATOR_VERSION
    reused: bool = field(default=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``as_of`` as ISO date, ``counts`` as {table: rows}."""
        return {
            "schema": self.schema,
            "seed": self.seed,
            "customers": self.customers,
            "months": self.months,
            "as_of": self.as_of.isoformat(),
            "counts": dict(self.counts),
            "generator_version": self.generator_version,
            "reused": self.reused,
        }
