"""raw.payment_allocations: one row per allocation (payment → invoice) version."""

from expectations.suites.spec import DatasetSuite, key_checks, non_negative, not_null, sane_date

SUITE = DatasetSuite(
    entity="payment_allocations",
    key=("allocation_id",),
    checks=(
        *key_checks("allocation_id"),
        not_null("payment_id"),
        not_null("invoice_id"),
        not_null("amount"),
        non_negative("amount"),
        *sane_date("allocation_date"),
    ),
)
