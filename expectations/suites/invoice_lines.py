"""raw.invoice_lines: one row per invoice line version. Prices may be negative (discount lines)."""

from expectations.suites.spec import DatasetSuite, in_range, key_checks, not_null

SUITE = DatasetSuite(
    entity="invoice_lines",
    key=("line_id",),
    checks=(*key_checks("line_id"), not_null("invoice_id"), in_range("tax_rate", 0, 1, "(a fraction)")),
)
