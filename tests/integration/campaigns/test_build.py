"""build_batch and dispatch end to end on a real Postgres, sending through the real SendGrid SDK
to the fake SendGrid server over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.request
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from campaign_inputs import API_KEY, AS_OF, INVOICES, NEVER_MESSAGED, local

from cartera.campaigns import build_batch, dispatch
from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.channels.sendgrid_email import SendGridEmailChannel
from cartera.errors import ConfigurationError

pytestmark = pytest.mark.integration

MORNING = local(2026, 3, 10, 10)  # 10:00 Mexico City = 09:00 Tijuana (PDT) = 11:00 Cancún
ChannelFactory = Callable[[], SendGridEmailChannel]


def outbox_rows(dsn: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute("select * from ops.outbox order by outbox_id").fetchall()


def by_customer(dsn: str) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in outbox_rows(dsn):
        rows.setdefault(row["customer_id"], []).append(row)
    return rows


def received(fake: FakeSendGrid) -> list[dict[str, Any]]:
    """What the fake got, read over HTTP like any client would."""
    with urllib.request.urlopen(f"{fake.base_url}/_fake/messages", timeout=5) as response:
        return json.loads(response.read())["messages"]


def test_building_the_same_day_twice_creates_the_same_outbox_rows(campaign_dsn: str) -> None:
    first = build_batch(campaign_dsn, AS_OF)
    rows = outbox_rows(campaign_dsn)
    second = build_batch(campaign_dsn, AS_OF)

    assert outbox_rows(campaign_dsn) == rows
    # 8 (customer, step) candidates; C1's two steps are one message: 5 rows, none deferred.
    assert (first.candidates, first.enqueued, first.deferred, first.denied, first.escalated) == (8, 5, 0, 1, 1)
    assert second.enqueued == 0 and second.escalated == 0
    assert len({row["idempotency_key"] for row in rows}) == len(rows) == 5
    with psycopg.connect(campaign_dsn) as conn:
        assert conn.execute("select builds from ops.campaign_batches").fetchone() == (2,)
        assert conn.execute("select customer_id, invoice_ids from ops.collection_tasks").fetchall() == [("C3", ["I5"])]


def test_build_plans_one_message_per_customer_per_day_and_never_for_blocked_invoices(campaign_dsn: str) -> None:
    build_batch(campaign_dsn, AS_OF)
    rows = by_customer(campaign_dsn)

    assert sorted(rows) == ["C1", "C2", "C4", "C5", "C7"]  # C3 escalated, C6 opted out
    assert {customer: len(r) for customer, r in rows.items()} == dict.fromkeys(rows, 1)
    # C1's preventive and standard steps are due the same day: one message, the firmer step's
    # tone, both invoices, both steps recorded as fired for their invoice.
    (c1,) = rows["C1"]
    assert (c1["step"], c1["template"], c1["invoice_ids"]) == ("recordatorio", "recordatorio_vencido", ["I1", "I2"])
    assert c1["steps"] == ["recordatorio", "preventivo"]
    assert sorted(c1["step_invoices"]) == ["preventivo:I1", "recordatorio:I2"]
    assert c1["not_before"] == MORNING - dt.timedelta(hours=1)  # 09:00 Mexico City, not deferred
    # The statement shows the whole balance: C2's invoice not yet due is listed, in the service
    # tone of an exemplary payer late once; the paid one is not.
    assert (rows["C2"][0]["template"], rows["C2"][0]["invoice_ids"]) == ("consulta_servicio", ["I3", "I4"])
    assert rows["C2"][0]["step_invoices"] == ["consulta_servicio:I4"]
    assert rows["C4"][0]["invoice_ids"] == ["I6"]  # I7 disputed and I8 on hold are left out
    messaged = {invoice for row in outbox_rows(campaign_dsn) for invoice in row["invoice_ids"]}
    assert not messaged & NEVER_MESSAGED
    with psycopg.connect(campaign_dsn) as conn:
        denials = dict(
            conn.execute(
                "select coalesce(blocked_invoice_ids[1], customer_id), reason_codes[1] from ops.contact_decisions "
                "where stage = 'build' and verdict = 'deny'"
            ).fetchall()
        )
    assert denials == {"I7": "invoice_disputed", "I8": "invoice_on_hold", "C6": "opted_out"}


def test_dispatch_sends_exactly_the_outbox_sent_rows_through_sendgrid(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: ChannelFactory
) -> None:
    build_batch(campaign_dsn, AS_OF)
    summary = dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)

    sent = [r for r in outbox_rows(campaign_dsn) if r["status"] == "sent"]
    messages = received(fake_sendgrid)
    assert summary.sent == len(sent) == len(messages) == 5
    assert {r["provider_message_id"] for r in sent} == {m["message_id"] for m in messages}
    assert {r["idempotency_key"] for r in sent} == {m["request"]["custom_args"]["idempotency_key"] for m in messages}
    assert all(r["sent_at"] == MORNING for r in sent)
    bodies = " ".join(block["value"] for m in messages for block in m["request"]["content"])
    for invoice in NEVER_MESSAGED:
        assert INVOICES[invoice][1] not in bodies
    assert "$12,345.67 MXN" in bodies  # I1's preventive step rides in C1's one message of the day
    assert "$999.99 MXN" in bodies and "$2,000.00 USD" in bodies
    assert "00000000-0000-4000-8000-000000000001" in bodies  # I1's CFDI UUID
    assert "CLABE" in bodies and "Total a pagar: $13,145.67 MXN" in bodies
    emls = sorted((fake_sendgrid.outdir).glob("*.eml"))
    assert len(emls) == 5
    assert any("F-0004" in eml.read_text(encoding="utf-8") for eml in emls)


def test_a_payment_arriving_between_build_and_dispatch_cancels_the_message(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: ChannelFactory
) -> None:
    build_batch(campaign_dsn, AS_OF)
    with psycopg.connect(campaign_dsn) as conn:  # the warehouse refreshes: I11 is paid, I4 disputed
        conn.execute("delete from marts.fct_open_items where invoice_id = 'I11'")
        conn.execute("update marts.fct_open_items set is_disputed = true where invoice_id = 'I9'")
        conn.execute(
            "insert into ops.holds (customer_id, invoice_id, reason, opened_at) values ('C2', null, 'payment_reported', %s)",
            (MORNING - dt.timedelta(minutes=5),),
        )
    summary = dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)

    rows = by_customer(campaign_dsn)
    assert rows["C7"][0]["status"] == "cancelled" and rows["C7"][0]["status_reason"] == "invoice_not_open"
    assert rows["C5"][0]["status_reason"] == "invoice_disputed"
    assert rows["C2"][0]["status_reason"] == "invoice_on_hold"
    assert summary.cancel_reasons == {"invoice_not_open": 1, "invoice_disputed": 1, "invoice_on_hold": 1}
    keys = {m["request"]["custom_args"]["idempotency_key"] for m in received(fake_sendgrid)}
    assert keys.isdisjoint({rows[c][0]["idempotency_key"] for c in ("C2", "C5", "C7")})
    assert len(keys) == summary.sent == 2


def test_a_dispatch_at_23_debtor_local_defers_to_7_the_next_morning(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: ChannelFactory
) -> None:
    build_batch(campaign_dsn, AS_OF)
    late = local(2026, 3, 10, 23)  # 22:00 in Tijuana and Hermosillo: outside everywhere
    summary = dispatch(campaign_dsn, late, channel_factory=channel_factory)

    assert (summary.sent, summary.deferred) == (0, 5)
    assert received(fake_sendgrid) == []
    rows = by_customer(campaign_dsn)
    assert rows["C7"][0]["not_before"] == local(2026, 3, 11, 7, tz="America/Monterrey")
    assert rows["C4"][0]["not_before"] == local(2026, 3, 11, 7, tz="America/Tijuana")
    assert rows["C5"][0]["not_before"] == local(
        2026, 3, 11, 7, tz="America/Tijuana"
    )  # unknown zone: the latest opening

    # At 08:00 Mexico City the next day, everyone is inside the window; C1's one message goes.
    next_morning = local(2026, 3, 11, 8)
    again = dispatch(campaign_dsn, next_morning, channel_factory=channel_factory)
    assert again.sent == 5 and again.deferred == 0
    assert [r["status"] for r in by_customer(campaign_dsn)["C1"]] == ["sent"]


def test_a_second_dispatch_sends_nothing_new(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: ChannelFactory
) -> None:
    build_batch(campaign_dsn, AS_OF)
    first = dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)
    second = dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)
    later_same_day = dispatch(campaign_dsn, MORNING + dt.timedelta(hours=6), channel_factory=channel_factory)
    build_batch(campaign_dsn, AS_OF)  # a rebuild after sending adds nothing either
    after_rebuild = dispatch(campaign_dsn, MORNING + dt.timedelta(hours=7), channel_factory=channel_factory)

    assert first.sent == 5
    assert second.claimed == later_same_day.claimed == after_rebuild.claimed == 0
    assert len(received(fake_sendgrid)) == 5


def test_a_rate_limit_waits_its_retry_after_and_a_5xx_after_acceptance_is_reconciled_not_resent(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: ChannelFactory
) -> None:
    build_batch(campaign_dsn, AS_OF)
    fake_sendgrid.fail_next(429, retry_after=120)
    first = dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)
    # The 429 refuses the first request (every message in it: batched, it may hold several) and
    # opens the circuit for its Retry-After: the rest of the batch goes back untouched.
    assert first.sent == 0 and first.failed >= 1 and first.failed + first.released == 5 and first.released >= 1
    limited = [r for r in outbox_rows(campaign_dsn) if r["status"] == "failed"]
    assert len(limited) == first.failed
    assert all(r["not_before"] >= MORNING + dt.timedelta(seconds=120) for r in limited)
    assert dispatch(campaign_dsn, MORNING + dt.timedelta(seconds=60), channel_factory=channel_factory).claimed == 0

    fake_sendgrid.fail_after_accept_next(503)  # queued, then a gateway error: maybe sent
    second = dispatch(campaign_dsn, MORNING + dt.timedelta(minutes=3), channel_factory=channel_factory)
    in_doubt = len(fake_sendgrid.requests[0]["personalizations"])  # every message of that request
    assert (second.sent, second.unknown) == (5 - in_doubt, in_doubt)
    third = dispatch(campaign_dsn, MORNING + dt.timedelta(minutes=4), channel_factory=channel_factory)
    assert third.reconciled_sent == in_doubt and third.claimed == 0
    rows = outbox_rows(campaign_dsn)
    assert sorted(r["status"] for r in rows).count("sent") == 5
    for row in rows:
        assert fake_sendgrid.copies(row["idempotency_key"]) == (1 if row["status"] == "sent" else 0)


def test_a_refused_key_stops_the_batch_with_every_row_pending_and_no_bounce(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: ChannelFactory
) -> None:
    build_batch(campaign_dsn, AS_OF)
    fake_sendgrid.api_key = "another-key"  # a rotated key: every call is refused with 401
    with pytest.raises(ConfigurationError, match="refused the credentials"):
        dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)
    rows = outbox_rows(campaign_dsn)
    assert {r["status"] for r in rows} == {"pending"} and {r["attempts"] for r in rows} == {0}
    with psycopg.connect(campaign_dsn) as conn:
        alerts = conn.execute("select kind, severity from ops.alerts").fetchall()
    assert ("provider_credentials_refused", "critical") in alerts
    fake_sendgrid.api_key = API_KEY  # fixed: the next run sends everything once
    assert dispatch(campaign_dsn, MORNING + dt.timedelta(minutes=5), channel_factory=channel_factory).sent == 5


def test_every_send_decision_is_audited_and_no_address_is_logged(
    campaign_dsn: str, channel_factory: ChannelFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    build_batch(campaign_dsn, AS_OF)
    dispatch(campaign_dsn, local(2026, 3, 10, 23), channel_factory=channel_factory)
    dispatch(campaign_dsn, local(2026, 3, 11, 8), channel_factory=channel_factory)

    with psycopg.connect(campaign_dsn) as conn:
        send_decisions = conn.execute(
            "select verdict, rule_id, count(*) from ops.contact_decisions where stage = 'send' group by 1, 2 order by 1, 2"
        ).fetchall()
    assert send_decisions == [  # no daily-cap deferral: C1's two steps are one message
        ("allow", "MX-CONDUSEF-2014", 5),
        ("defer", "MX-CONDUSEF-2014/contact_window", 5),
    ]
    # One table, one row per decision, each with its rule pack and version — the engine's and the
    # campaigns' own rules' (collectibility, the playbook) alike — at build and at send: "why did
    # (or didn't) this customer get a message?" has one answer.
    with psycopg.connect(campaign_dsn) as conn:
        rows = conn.execute(
            "select stage, rule_pack_id, rule_pack_version, outbox_id, count(*) over (partition by stage, outbox_id) "
            "from ops.contact_decisions"
        ).fetchall()
        sends = conn.execute("select count(*) from ops.contact_decisions where stage = 'send'").fetchone()
    assert sends == (10,)  # five rows, decided twice (deferred at 23:00, allowed at 08:00): no twin rows
    assert {r[0] for r in rows} == {"build", "send"}
    assert {r[1] for r in rows} >= {"MX-CONDUSEF-2014", "CAMPAIGNS", "playbook"}
    assert all(r[2] for r in rows) and all(r[4] == 2 for r in rows if r[0] == "send")
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "@example" not in logged and "Contacto" not in logged


def test_a_channel_that_cannot_be_built_strands_no_row(campaign_dsn: str) -> None:
    def no_channel() -> SendGridEmailChannel:
        raise ConfigurationError("no SendGrid API key")

    assert dispatch(campaign_dsn, MORNING, channel_factory=no_channel).claimed == 0  # nothing due yet
    build_batch(campaign_dsn, AS_OF)
    with pytest.raises(ConfigurationError):
        dispatch(campaign_dsn, MORNING, channel_factory=no_channel)
    assert {r["status"] for r in outbox_rows(campaign_dsn)} == {"pending"}


def test_an_opt_out_a_promise_or_a_payment_after_the_build_stops_or_defers_the_send(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: ChannelFactory
) -> None:
    build_batch(campaign_dsn, AS_OF)
    promised = MORNING + dt.timedelta(days=2)
    with psycopg.connect(campaign_dsn) as conn:
        # C1 writes STOP on every channel; C4 promises to pay in two days; C7 paid something else.
        conn.execute(
            "insert into ops.opt_outs (customer_id, channel, opted_out_at, source) values ('C1', 'all', %s, 'reply')",
            (MORNING - dt.timedelta(minutes=1),),
        )
        conn.execute(
            "insert into ops.holds (customer_id, invoice_id, reason, opened_at, until) "
            "values ('C4', null, 'promise_to_pay', %s, %s)",
            (MORNING - dt.timedelta(minutes=1), promised),
        )
        conn.execute(
            "insert into marts.fct_payments (payment_id, customer_id, payment_date, currency, amount) "
            "values ('P-77', 'C7', %s, 'MXN', 100)",
            (AS_OF,),
        )
    dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)
    dispatch(campaign_dsn, MORNING + dt.timedelta(days=1), channel_factory=channel_factory)

    rows = by_customer(campaign_dsn)
    assert (
        len(rows["C1"]) == 1
        and {r["status"] for r in rows["C1"]} == {"cancelled"}
        and rows["C1"][0]["status_reason"] == "opted_out"
    )
    assert rows["C4"][0]["status"] == "deferred" and rows["C4"][0]["status_reason"] == "hold_promise_to_pay"
    assert rows["C4"][0]["not_before"] >= promised  # the promised date plus the rule pack's grace
    assert rows["C7"][0]["status"] == "deferred" and rows["C7"][0]["status_reason"] == "quiet_after_payment"
    keys = {m["request"]["custom_args"]["idempotency_key"] for m in received(fake_sendgrid)}
    assert keys.isdisjoint({r["idempotency_key"] for c in ("C1", "C4", "C7") for r in rows[c]})
