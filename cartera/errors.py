"""The few kinds of error cartera raises.

Each carries structured fields (file, row, field, rule) and a message that says what was expected
and what to do, without the personal value itself.
"""

from __future__ import annotations


class CarteraError(Exception):
    """Base of every error cartera raises on purpose."""


class ConfigurationError(CarteraError):
    """A setting is missing or inconsistent."""


class SourceUnavailableError(CarteraError):
    """A source system cannot be reached or lacks a table we read."""

    def __init__(self, source: str, detail: str, hint: str) -> None:
        self.source = source
        self.detail = detail
        self.hint = hint
        super().__init__(f"source {source!r}: {detail}. Check: {hint}")


class BadInputError(CarteraError):
    """A row of an input file or table cannot be used."""

    def __init__(
        self, message: str, *, file: str | None = None, row: int | None = None, field: str | None = None
    ) -> None:
        self.file = file
        self.row = row
        self.field = field
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file else "",
                f"row {row}" if row is not None else "",
                f"field {field!r}" if field else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class QualityGateFailedError(CarteraError):
    """A data quality gate failed; what depends on the data must not run."""

    def __init__(self, dataset: str, failures: dict[str, int]) -> None:
        self.dataset = dataset
        self.failures = failures
        detail = "; ".join(f"{rule}: {count} rows" for rule, count in sorted(failures.items()))
        super().__init__(f"quality gate failed for {dataset}: {detail}")


class PolicyError(CarteraError):
    """A contact rule pack or setting is invalid (never falls back to allowing)."""


class DataNotReadyError(CarteraError):
    """Today's data did not pass its gates or was not built yet: what depends on it must wait."""

    def __init__(self, as_of: str, problems: list[str]) -> None:
        self.as_of = as_of
        self.problems = problems
        super().__init__(f"data for {as_of} is not ready: " + "; ".join(problems))
