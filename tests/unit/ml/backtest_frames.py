"""A small generated company as a flat invoice export, for the backtest tests (no database)."""

from __future__ import annotations

import datetime as dt
from functools import cache

import pandas as pd

from cartera.synthetic.company import build_company
from cartera.synthetic.export import invoice_export
from cartera.synthetic.summary import GenerationParams

AS_OF = dt.date(2026, 3, 31)


@cache
def _export(customers: int, months: int, seed: int) -> pd.DataFrame:
    return invoice_export(build_company(GenerationParams(seed=seed, customers=customers, months=months, as_of=AS_OF)))


def generated_export(customers: int = 30, months: int = 12, seed: int = 11) -> pd.DataFrame:
    """The generator's invoices as `cartera generate --csv` writes them (a copy: callers may edit it)."""
    return _export(customers, months, seed).copy()
