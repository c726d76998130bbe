"""One suite per raw dataset, declared as data (see `spec.py`); `SUITES` maps entity → suite."""

from __future__ import annotations

from types import MappingProxyType

from expectations.suites import (
    contacts,
    credit_notes,
    customers,
    disputes,
    fx_rates,
    invoice_lines,
    invoices,
    payment_allocations,
    payments,
)
from expectations.suites.spec import DatasetSuite

SUITES: MappingProxyType[str, DatasetSuite] = MappingProxyType(
    {
        module.SUITE.entity: module.SUITE
        for module in (
            customers,
            contacts,
            invoices,
            invoice_lines,
            credit_notes,
            payments,
            payment_allocations,
            disputes,
            fx_rates,
        )
    }
)


def suite_for(entity: str) -> DatasetSuite:
    """The suite of `entity`; ValueError when none is declared."""
    try:
        return SUITES[entity]
    except KeyError:
        raise ValueError(f"no expectation suite for {entity!r}; declared: {', '.join(SUITES)}") from None
