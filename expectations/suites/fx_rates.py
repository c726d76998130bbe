"""raw.fx_rates: one rate to MXN per currency per day."""

from expectations.reference import FX_RATE_TO_MXN_MAX, FX_RATE_TO_MXN_MIN
from expectations.suites.spec import DatasetSuite, in_range, key_checks, known_currency, not_null, sane_date

SUITE = DatasetSuite(
    entity="fx_rates",
    key=("currency", "rate_date"),
    checks=(
        *key_checks("currency", "rate_date"),
        *known_currency("currency", required=False),  # presence is already a key check
        *sane_date("rate_date", required=False),
        not_null("rate_to_mxn"),
        in_range("rate_to_mxn", FX_RATE_TO_MXN_MIN, FX_RATE_TO_MXN_MAX, "MXN per unit"),
    ),
)
