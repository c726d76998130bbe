"""raw.customers: one row per customer version."""

from expectations.reference import CREDIT_TERMS_DAYS_MAX, CREDIT_TERMS_DAYS_MIN
from expectations.suites.spec import DatasetSuite, in_range, key_checks, known_currency, non_negative

SUITE = DatasetSuite(
    entity="customers",
    key=("customer_id",),
    checks=(
        *key_checks("customer_id"),
        in_range("credit_terms_days", CREDIT_TERMS_DAYS_MIN, CREDIT_TERMS_DAYS_MAX, "days"),
        non_negative("credit_limit"),
        *known_currency("credit_limit_currency", required=False),
    ),
)
