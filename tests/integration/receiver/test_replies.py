"""Replies understood: each class of reply (Spanish and English, with and without accents)
writes its opt-out, hold or collector task once, and nothing else."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import psycopg
import pytest
from receiver_hooks import C1_PHONE, C2_PHONE, CUSTOMERS, INBOUND_SECRET, NOW, Hooks

from cartera.replies import replies_for_customer

pytestmark = pytest.mark.integration

C1_EMAIL = CUSTOMERS["C1"][1]
OUR_C1_MESSAGE = "<sgmsgC1.filterdrecv-1@geopod-ismtpd-1>"


@pytest.mark.parametrize(
    "text", ["Ya pagué", "ya pague", "Ya se pagó la factura", "Already paid, thanks", "pagamos ayer"]
)
def test_a_reported_payment_holds_the_invoices_replied_to_and_opens_a_task(hooks: Hooks, text: str) -> None:
    assert hooks.email_reply(C1_EMAIL, text, in_reply_to=OUR_C1_MESSAGE).status_code == 204
    assert hooks.rows("select customer_id, invoice_id, reason from ops.holds order by invoice_id") == [
        ("C1", "I1", "payment_reported"),
        ("C1", "I2", "payment_reported"),
    ]
    assert hooks.rows("select customer_id, invoice_ids, queue, batch_id, status from ops.collection_tasks") == [
        ("C1", ["I1", "I2"], "payment_reported", None, "open")
    ]
    assert hooks.count("ops.opt_outs") == 0


@pytest.mark.parametrize(
    "text",
    [
        "No reconozco esta factura",
        "no reconozco",
        "Factura incorrecta",
        "No es nuestra",
        "Wrong invoice",
        "We dispute this",
    ],
)
def test_a_dispute_holds_the_invoices_and_opens_a_task(hooks: Hooks, text: str) -> None:
    hooks.email_reply(C1_EMAIL, text, in_reply_to=OUR_C1_MESSAGE)
    assert {r[0] for r in hooks.rows("select reason from ops.holds")} == {"dispute"}
    assert hooks.rows("select queue from ops.collection_tasks") == [("dispute",)]


@pytest.mark.parametrize(
    ("text", "promised"),
    [
        ("Pago el viernes", dt.date(2026, 3, 13)),
        ("pago el viernes", dt.date(2026, 3, 13)),
        ("Mañana sin falta", dt.date(2026, 3, 11)),
        ("manana", dt.date(2026, 3, 11)),
        ("We will pay next Monday", dt.date(2026, 3, 16)),
        ("el 15 de abril", dt.date(2026, 4, 15)),
    ],
)
def test_a_promise_with_a_date_holds_until_the_end_of_that_day(hooks: Hooks, text: str, promised: dt.date) -> None:
    hooks.email_reply(C1_EMAIL, text, in_reply_to=OUR_C1_MESSAGE)
    reply = hooks.rows("select reply_id, classification, route, promise_date from ops.inbound_replies")
    assert [r[1:] for r in reply] == [("promise_to_pay", "hold", promised)]
    holds = hooks.rows("select reason, until, reply_id, invoice_id from ops.holds order by invoice_id")
    end_of_day = dt.datetime.combine(promised + dt.timedelta(days=1), dt.time(0), ZoneInfo("America/Mexico_City"))
    assert holds == [
        ("promise_to_pay", end_of_day, reply[0][0], "I1"),
        ("promise_to_pay", end_of_day, reply[0][0], "I2"),
    ]
    assert hooks.count("ops.collection_tasks") == 0


def test_mañana_counts_from_the_debtors_own_day(hooks: Hooks) -> None:
    # 06:30 UTC on 11 March is still the 10th in Tijuana (UTC-7) but the 11th in Mexico City.
    hooks.clock[0] = dt.datetime(2026, 3, 11, 6, 30, tzinfo=dt.UTC)
    hooks.sms_reply("SMpromise-c2", C2_PHONE, "Pago mañana")
    hooks.sms_reply("SMpromise-c1", C1_PHONE, "Pago mañana")
    assert hooks.rows("select customer_id, promise_date from ops.inbound_replies order by customer_id") == [
        ("C1", dt.date(2026, 3, 12)),
        ("C2", dt.date(2026, 3, 11)),
    ]


@pytest.mark.parametrize("text", ["el 3 de marzo de 2026", "pagamos el 15 de diciembre", "I'll pay on December 15th"])
def test_a_promise_in_the_past_or_beyond_90_days_goes_to_the_inbox(hooks: Hooks, text: str) -> None:
    hooks.email_reply(C1_EMAIL, text, in_reply_to=OUR_C1_MESSAGE)
    assert hooks.rows("select classification, route from ops.inbound_replies") == [("promise_to_pay", "inbox")]
    assert hooks.count("ops.holds") == 0
    assert hooks.rows("select queue from ops.collection_tasks") == [("inbox",)]


@pytest.mark.parametrize("text", ["BAJA", "baja por favor", "No más", "no mas", "UNSUBSCRIBE", "Cancelar", "alto"])
def test_an_opt_out_by_email_stops_email_at_once_without_a_confirmation(hooks: Hooks, text: str) -> None:
    hooks.email_reply(C1_EMAIL, text)
    assert hooks.rows("select customer_id, channel, source from ops.opt_outs") == [("C1", "email", "reply")]
    assert hooks.rows("select confirmation_due, matched_by from ops.inbound_replies") == [(False, "email")]
    assert hooks.count("ops.holds") == 0 and hooks.count("ops.collection_tasks") == 0


@pytest.mark.parametrize("text", ["👍", "🙏🙏🙏", "Danke, wir zahlen bald", "¿Me pueden llamar?", ""])
def test_anything_else_goes_to_the_collectors_inbox_without_hold_or_opt_out(hooks: Hooks, text: str) -> None:
    assert hooks.email_reply(C1_EMAIL, text, in_reply_to=OUR_C1_MESSAGE).status_code == 204
    assert hooks.rows("select classification, route from ops.inbound_replies") == [("unknown", "inbox")]
    assert hooks.rows("select queue, step from ops.collection_tasks") == [("inbox", "reply_unknown")]
    assert hooks.count("ops.holds") == 0 and hooks.count("ops.opt_outs") == 0


def test_the_quoted_reminder_under_a_reply_is_not_read(hooks: Hooks) -> None:
    text = "Gracias por el aviso.\n\nEl mar, 10 mar 2026, Cobranza escribió:\n> BAJA\n> ya pagué"
    hooks.email_reply(C1_EMAIL, text, in_reply_to=OUR_C1_MESSAGE)
    assert hooks.rows("select classification from ops.inbound_replies") == [("unknown",)]


def test_a_redelivered_reply_opens_one_task(hooks: Hooks) -> None:
    for _ in range(3):
        assert hooks.email_reply(C1_EMAIL, "Ya pagué", in_reply_to=OUR_C1_MESSAGE).status_code == 204
    assert hooks.count("ops.inbound_replies") == 1
    assert hooks.count("ops.collection_tasks") == 1
    assert hooks.count("ops.holds") == 2


def test_the_sender_address_matches_any_contact_case_insensitively(hooks: Hooks) -> None:
    hooks.email_reply("tesoreria@cliente3.example.mx", "Factura incorrecta")
    assert hooks.rows("select customer_id, matched_by, outbox_id is not null from ops.inbound_replies") == [
        ("C3", "email", True)
    ]
    assert hooks.rows("select invoice_id from ops.holds") == [("I4",)]


def test_a_reply_from_an_unknown_sender_is_kept_unmatched_with_no_effect(hooks: Hooks) -> None:
    hooks.email_reply("nadie@otro.example.mx", "Ya pagué")
    assert hooks.rows("select customer_id, route, classification from ops.inbound_replies") == [
        (None, "unmatched", "payment_reported")
    ]
    assert hooks.count("ops.holds") == 0 and hooks.count("ops.collection_tasks") == 0


def test_a_wrong_inbound_secret_gets_403_and_changes_nothing(hooks: Hooks) -> None:
    before = hooks.state()
    assert hooks.email_reply(C1_EMAIL, "BAJA", secret=INBOUND_SECRET[:-1] + "x").status_code == 403
    assert hooks.email_reply(C1_EMAIL, "BAJA", secret="").status_code in (403, 404, 405)
    assert hooks.state() == before


def test_an_inbound_post_that_is_not_a_form_is_a_bad_request(hooks: Hooks) -> None:
    before = hooks.state()
    response = hooks.client.post(f"/sendgrid/inbound/{INBOUND_SECRET}", content=b"\x00\xff garbage")
    assert response.status_code == 400
    assert hooks.state() == before


def test_replies_for_customer_shows_readings_and_hides_the_text_unless_asked(hooks: Hooks) -> None:
    hooks.email_reply(C1_EMAIL, "Pago el viernes", in_reply_to=OUR_C1_MESSAGE)
    with psycopg.connect(hooks.dsn) as conn:
        plain = replies_for_customer(conn, "C1", NOW - dt.timedelta(days=1))
        with_text = replies_for_customer(conn, "C1", None, include_text=True)
        later = replies_for_customer(conn, "C1", NOW + dt.timedelta(days=1))
    assert [(r.classification, r.route, r.promise_date, r.text) for r in plain] == [
        ("promise_to_pay", "hold", dt.date(2026, 3, 13), None)
    ]
    assert with_text[0].text == "Pago el viernes" and "viernes" not in repr(with_text[0])
    assert later == []
