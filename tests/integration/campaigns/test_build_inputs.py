"""The build reads its customers' inputs once per batch (cartera.campaigns.build_inputs): each
batch loader gives, customer by customer, what the per-customer reader gives."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import psycopg
import pytest
from campaign_inputs import AS_OF, CUSTOMERS, add_customer, local

from cartera.campaigns import build_batch, message_context
from cartera.campaigns import contact_data as data
from cartera.campaigns.build import default_planned_at
from cartera.campaigns.build_inputs import load_build_inputs

pytestmark = pytest.mark.integration

PLANNED = default_planned_at(AS_OF)


def _seed_history(dsn: str) -> None:
    """Outbox rows in every status, payments, WhatsApp replies in and out of the window, an RFC."""
    add_customer(dsn, "C8", "at_risk", {"I80": (4, "100.00", False)}, mobile="5512345678", whatsapp_opt_in=True,
                 rfc=" abc010101xy1 ")  # fmt: skip
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "insert into ops.campaign_batches (batch_id, as_of_date, playbook_version, planned_at, candidates, "
            "enqueued, escalated, denied, deferred, builds, last_built_at) values ('old', %s, 'v', %s, 0, 0, 0, 0, 0, "
            "0, %s)",
            (AS_OF - dt.timedelta(days=5), PLANNED, PLANNED),
        )
        statuses = [("sent", 1), ("failed", 1000), ("failed", 1), ("sending", 1), ("cancelled", 0), ("deferred", 0)]
        for n, (customer, (status, attempts)) in enumerate(
            zip(["C1", "C2", "C4", "C5", "C7", "C1"], statuses, strict=True)
        ):
            conn.execute(
                "insert into ops.outbox (idempotency_key, batch_id, as_of_date, customer_id, invoice_ids, step, "
                "template, tone, channel, status, not_before, created_at, updated_at, attempts, sent_at, claimed_at) "
                "values (%s, 'old', %s, %s, '{X}', 's', 't', 'amable', 'email', %s, %s, %s, %s, %s, %s, %s)",
                (f"k{n}", AS_OF - dt.timedelta(days=5), customer, status, PLANNED - dt.timedelta(days=n),
                 PLANNED, PLANNED, attempts, PLANNED - dt.timedelta(hours=n) if status == "sent" else None,
                 PLANNED - dt.timedelta(hours=2) if status == "sending" else None),
            )  # fmt: skip
        for n, day in enumerate([AS_OF, AS_OF - dt.timedelta(days=3), AS_OF - dt.timedelta(days=9)]):
            conn.execute(
                "insert into marts.fct_payments (payment_id, customer_id, payment_date, currency, amount, amount_mxn) "
                "values (%s, 'C2', %s, 'MXN', 1, 1)",
                (f"P{n}", day),
            )
        for n, (customer, hours) in enumerate([("C8", 3), ("C1", 30)]):
            conn.execute(
                "insert into ops.inbound_replies (provider, provider_message_id, channel, received_at, customer_id, "
                "classification, route, rule) values ('twilio', %s, 'whatsapp', %s, %s, 'unknown', 'inbox', 'r')",
                (f"m{n}", PLANNED - dt.timedelta(hours=hours), customer),
            )


def test_the_batch_loaders_give_each_customer_what_the_per_customer_readers_give(campaign_dsn: str) -> None:
    _seed_history(campaign_dsn)
    build_batch(campaign_dsn, AS_OF)  # today's rows: scheduled history, and the keys a rebuild finds
    customers = [*CUSTOMERS, "C8", "C_UNKNOWN"]
    at = local(2026, 3, 10, 9)
    with psycopg.connect(campaign_dsn) as conn:
        inputs = load_build_inputs(conn, customers, AS_OF, at, messaged_today=["C1", "C2"])
        for customer in customers:
            assert Counter(inputs.history(customer)) == Counter(
                data.load_history(conn, customer, include_scheduled=True)
            )
            assert Counter(inputs.payments(customer, at)) == Counter(data.load_recent_payments(conn, customer, at))
            assert inputs.recipients.get(customer) == data.load_recipient(conn, customer)
            assert inputs.reference(customer) == message_context.payment_reference(conn, customer)
            assert (customer in inputs.whatsapp_open) == message_context.whatsapp_window_open(conn, customer, at)
        today = "select idempotency_key, customer_id from ops.outbox where as_of_date = %s"
        keys = dict(conn.execute(today, (AS_OF,)).fetchall())
    # The seeded rows make the comparisons above non-trivial.
    assert sum(len(inputs.history(c)) for c in customers) == 5 + len(keys)  # six seeded, one cancelled; today's
    assert len(inputs.payments("C2", at)) == 2
    assert inputs.whatsapp_open == {"C8"}
    assert inputs.reference("C8") == "ABC010101XY1" and inputs.reference("C1") == "C1"
    # Today's keys of the customers messaged today; not their earlier days' (C1 has two).
    assert inputs.existing_keys == {key for key, customer in keys.items() if customer in ("C1", "C2")}
    assert len(inputs.existing_keys) == 2
