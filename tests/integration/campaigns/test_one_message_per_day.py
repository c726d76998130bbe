"""One message per customer per day (issue #10): a customer's due steps become one outbox row
listing every open invoice, on a channel the contact can receive, sent once. Real Postgres, the
real SendGrid and Twilio SDKs over real HTTP to the local fakes."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from campaign_inputs import AS_OF, add_customer, cfdi_uuid, local, next_day

from cartera.campaigns import build_batch, dispatch
from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.channels.fake_twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, FakeTwilio
from cartera.channels.sendgrid_email import SendGridEmailChannel
from cartera.channels.sms_segments import sms_segments
from cartera.channels.twilio_messaging import TwilioSmsChannel

pytestmark = pytest.mark.integration

MORNING = local(2026, 3, 10, 10)
# The issue's customer: two invoices in the firm range, one in the first week, one about to fall
# due, one not due for weeks (no step), one disputed. Four steps were due; it got four messages.
ISSUE_10 = {
    "N1": (20, "1000.00", False),
    "N2": (12, "2000.00", False),
    "N3": (3, "300.00", False),
    "N4": (-2, "400.00", False),
    "N5": (-25, "500.00", False),
    "N6": (15, "600.00", True),
}


def rows_of(dsn: str, customer: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute("select * from ops.outbox where customer_id = %s order by outbox_id", (customer,)).fetchall()


def received(fake: FakeSendGrid) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{fake.base_url}/_fake/messages", timeout=5) as response:
        return json.loads(response.read())["messages"]


def test_a_customer_with_four_due_steps_gets_one_firm_statement_of_every_open_invoice(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: Callable[[], SendGridEmailChannel]
) -> None:
    add_customer(campaign_dsn, "N", "new", ISSUE_10, email="n@example.mx", rfc="CNN010101AA1")
    build_batch(campaign_dsn, AS_OF)

    (row,) = rows_of(campaign_dsn, "N")
    assert (row["step"], row["tone"], row["template"]) == ("recordatorio_firme", "firme", "recordatorio_firme")
    assert row["invoice_ids"] == ["N1", "N2", "N3", "N4", "N5"]  # the whole balance, the disputed one left out
    assert row["steps"] == ["recordatorio_firme", "preventivo", "recordatorio"]
    assert sorted(row["step_invoices"]) == [
        "preventivo:N4", "recordatorio:N3", "recordatorio_firme:N1", "recordatorio_firme:N2",
    ]  # fmt: skip
    assert row["not_before"] == MORNING - dt.timedelta(hours=1)  # nothing deferred to another day
    with psycopg.connect(campaign_dsn) as conn:
        (denied,) = conn.execute(
            "select reason_codes[1] from ops.contact_decisions where blocked_invoice_ids = '{N6}' and stage = 'build'"
        ).fetchone() or (None,)
    assert denied == "invoice_disputed"

    summary = dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)
    assert summary.sent == 5 + 1  # the seeded customers' five, and this one's one
    (mine,) = [
        m for m in received(fake_sendgrid) if m["request"]["custom_args"]["idempotency_key"] == row["idempotency_key"]
    ]
    assert fake_sendgrid.copies(row["idempotency_key"]) == 1
    text = next(block["value"] for block in mine["request"]["content"] if block["type"] == "text/plain")
    for invoice in ("N1", "N2", "N3", "N4", "N5"):
        assert f"F-{invoice}" in text and cfdi_uuid(invoice) in text
    assert "F-N6" not in text
    assert "Total a pagar: $4,200.00 MXN" in text and "Referencia de pago: CNN010101AA1" in text
    assert "lleva 20 días vencida" in text and "vence el 12/03/2026 (faltan 2 días)" in text

    # The next day the same invoices are one day older: every step they are in has fired.
    tomorrow = next_day(campaign_dsn)
    build_batch(campaign_dsn, tomorrow)
    assert len(rows_of(campaign_dsn, "N")) == 1
    dispatch(campaign_dsn, MORNING + dt.timedelta(days=1), channel_factory=channel_factory)
    keys = [m["request"]["custom_args"]["idempotency_key"] for m in received(fake_sendgrid)]
    assert [key for key in keys if key in {r["idempotency_key"] for r in rows_of(campaign_dsn, "N")}] == [
        row["idempotency_key"]
    ]


def test_a_rebuild_after_the_contact_changed_channel_adds_no_second_message_that_day(campaign_dsn: str) -> None:
    add_customer(campaign_dsn, "R", "at_risk", {"R1": (15, "100.00", False)}, email="r@example.mx",
                 mobile="5512345678", whatsapp_opt_in=True)  # fmt: skip
    build_batch(campaign_dsn, AS_OF)
    assert [r["channel"] for r in rows_of(campaign_dsn, "R")] == ["whatsapp"]
    with psycopg.connect(campaign_dsn) as conn:  # WhatsApp opted out; a new invoice falls in range
        conn.execute(
            "insert into ops.opt_outs (customer_id, channel, opted_out_at, source) values ('R', 'whatsapp', %s, 'reply')",
            (MORNING - dt.timedelta(hours=3),),
        )
    add_customer_invoice = (
        "insert into marts.fct_open_items (as_of_date, invoice_id, invoice_number, customer_id, issue_date, due_date, "
        "currency, open_amount, open_amount_mxn, days_past_due, aging_bucket, is_disputed) "
        "values (%s, 'R2', 'F-R2', 'R', %s, %s, 'MXN', 50, 50, 9, 'x', false)"
    )
    with psycopg.connect(campaign_dsn) as conn:
        conn.execute(add_customer_invoice, (AS_OF, AS_OF - dt.timedelta(days=39), AS_OF - dt.timedelta(days=9)))
    build_batch(campaign_dsn, AS_OF)
    assert len(rows_of(campaign_dsn, "R")) == 1


@pytest.mark.parametrize(
    ("contact", "channel"),
    [
        ({"mobile": "5512345678", "whatsapp_opt_in": True}, "whatsapp"),
        ({"mobile": "5512345678"}, "sms"),  # no WhatsApp consent
        ({"mobile": "5512345678", "sms_opt_out": True}, "email"),
        ({}, "email"),  # no mobile
    ],
)
def test_the_first_channel_of_the_step_the_contact_can_receive_is_chosen(
    campaign_dsn: str, contact: dict[str, Any], channel: str
) -> None:
    add_customer(campaign_dsn, "M", "at_risk", {"M1": (15, "100.00", False)}, email="m@example.mx", **contact)
    build_batch(campaign_dsn, AS_OF)
    assert [r["channel"] for r in rows_of(campaign_dsn, "M")] == [channel]


def test_an_sms_statement_is_sent_once_within_two_segments(campaign_dsn: str) -> None:
    add_customer(campaign_dsn, "S", "chronic", {"S1": (15, "12500.00", False), "S2": (9, "800.50", False),
                 "S3": (-3, "99.90", False)}, email="s@example.mx", mobile="5512345678", rfc="SMS010101AA1")  # fmt: skip
    build_batch(campaign_dsn, AS_OF)
    (row,) = rows_of(campaign_dsn, "S")
    assert (row["channel"], row["invoice_ids"]) == ("sms", ["S1", "S2", "S3"])

    with FakeTwilio(seed=1, failure_share=0.0) as fake:

        def sms_channel() -> TwilioSmsChannel:
            return TwilioSmsChannel(
                DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, from_number="+15005550006", base_url=fake.base_url,
                timeout_seconds=5, max_segments=4,
            )  # fmt: skip

        def no_email() -> SendGridEmailChannel:
            raise AssertionError("only the SMS is due in this test")

        with psycopg.connect(campaign_dsn) as conn:  # only this customer's row is due now
            conn.execute("update ops.outbox set not_before = not_before + interval '1 day' where customer_id <> 'S'")
        first = dispatch(campaign_dsn, MORNING, channels={"sms": sms_channel}, channel_factory=no_email)
        again = dispatch(campaign_dsn, MORNING + dt.timedelta(minutes=5), channels={"sms": sms_channel},
                         channel_factory=no_email)  # fmt: skip
        messages = fake.messages
    assert (first.sent, again.claimed) == (1, 0)
    (message,) = messages
    body = message["request"]["Body"]
    assert sms_segments(body)[1] <= 2
    assert "$13,400.40 MXN" in body and "3 facturas" in body and "15 dias vencida" in body
    assert "SMS010101AA1" in body and body.endswith("Responda BAJA para no recibir SMS")
