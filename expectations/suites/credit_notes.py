"""raw.credit_notes: one row per credit note version."""

from expectations.suites.spec import DatasetSuite, key_checks, known_currency, non_negative, not_null, sane_date

SUITE = DatasetSuite(
    entity="credit_notes",
    key=("credit_note_id",),
    checks=(
        *key_checks("credit_note_id"),
        not_null("customer_id"),
        *known_currency("currency"),
        not_null("total"),
        non_negative("total"),
        *sane_date("issue_date"),
    ),
)
