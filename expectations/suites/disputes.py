"""raw.disputes: one row per dispute version."""

from expectations.suites.spec import DatasetSuite, key_checks, not_before, not_null, sane_date

SUITE = DatasetSuite(
    entity="disputes",
    key=("dispute_id",),
    checks=(
        *key_checks("dispute_id"),
        not_null("invoice_id"),
        *sane_date("opened_date"),
        not_before("resolved_date", "opened_date"),
    ),
)
