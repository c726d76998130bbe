"""raw.invoices: one row per invoice version."""

from expectations.suites.spec import (
    DatasetSuite,
    key_checks,
    known_currency,
    non_negative,
    not_before,
    not_null,
    sane_date,
)

SUITE = DatasetSuite(
    entity="invoices",
    key=("invoice_id",),
    checks=(
        *key_checks("invoice_id"),
        not_null("customer_id"),
        *known_currency("currency"),
        non_negative("subtotal"),
        non_negative("tax"),
        not_null("total"),
        non_negative("total"),
        *sane_date("issue_date"),
        not_null("due_date"),
        not_before("due_date", "issue_date"),
    ),
)
