"""Reference values every suite shares, defined once: known currencies, sane date and terms ranges,
and the gate's default tolerance."""

from __future__ import annotations

import datetime as dt

# ISO 4217 codes an AR book in Mexico can plausibly hold; anything else is a typo or a bad mapping.
KNOWN_CURRENCIES: tuple[str, ...] = ("MXN", "USD", "EUR", "CAD", "GBP", "JPY", "CNY", "BRL", "COP", "CLP", "PEN", "ARS")

# Nothing in the book predates the CFDI era; a date before this is an unset or mistyped field.
EARLIEST_DOCUMENT_DATE = dt.date(2000, 1, 1)

# Credit terms in days: cash (0) up to half a year; longer terms are data entry errors here.
CREDIT_TERMS_DAYS_MIN = 0
CREDIT_TERMS_DAYS_MAX = 180

# A USD/EUR→MXN rate outside this band is a wrong decimal point, not a market move.
FX_RATE_TO_MXN_MIN = 0.5
FX_RATE_TO_MXN_MAX = 100.0

# The gate fails when more than this share of a batch is rejected (row-level rejects under it are
# quarantined and the rest loads).
DEFAULT_MAX_REJECTED_SHARE = 0.05

# Name of the suite parameter that carries the load's upper bound (as a date) into date checks.
LATEST_DATE_PARAMETER = "latest_document_date"

# Column the gate adds to each batch: the row's 1-based position, GX's index column. Rows are
# identified by position, not by key or value, since a failing key may itself be missing or repeated.
ROW_NUMBER_COLUMN = "_row_number"
