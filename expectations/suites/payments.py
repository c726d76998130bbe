"""raw.payments: one row per payment version."""

from expectations.suites.spec import DatasetSuite, key_checks, known_currency, non_negative, not_null, sane_date

SUITE = DatasetSuite(
    entity="payments",
    key=("payment_id",),
    checks=(
        *key_checks("payment_id"),
        not_null("customer_id"),
        *known_currency("currency"),
        not_null("amount"),
        non_negative("amount"),
        *sane_date("payment_date"),
    ),
)
