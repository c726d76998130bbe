"""raw.contacts: one row per contact person version."""

from expectations.suites.spec import DatasetSuite, key_checks, not_null

SUITE = DatasetSuite(
    entity="contacts",
    key=("contact_id",),
    checks=(*key_checks("contact_id"), not_null("customer_id")),
)
