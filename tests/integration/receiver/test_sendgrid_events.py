"""SendGrid's signed Event Webhook: verified, stored once, applied to the message and the
customer's opt-outs; anything forged, replayed or malformed changes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from receiver_hooks import NOW, Hooks

from cartera.channels.fake_events import EventSigningKey

pytestmark = pytest.mark.integration


def test_signed_events_update_the_message_delivery_but_never_its_send_status(hooks: Hooks) -> None:
    events = [hooks.sendgrid_event("k-c1-email", kind) for kind in ("processed", "delivered", "open", "click")]
    assert hooks.post_events(events).status_code == 204

    row = hooks.rows(
        "select status, delivery_status, delivered_at is not null, opened_at is not null, clicked_at is not null, "
        "bounced_at from ops.outbox where idempotency_key = 'k-c1-email'"
    )
    assert row == [("sent", "clicked", True, True, True, None)]
    stored = hooks.rows("select event_type, outbox_id, customer_id, payload from ops.message_events order by event_id")
    assert [r[0] for r in stored] == ["processed", "delivered", "opened", "clicked"]
    assert {r[1] for r in stored} == {hooks.outbox_ids["k-c1-email"]} and {r[2] for r in stored} == {"C1"}
    for payload in (r[3] for r in stored):
        assert "email" not in payload and len(payload["email_sha256"]) == 64
        assert "cliente1" not in json.dumps(payload)


def test_a_late_processed_event_does_not_move_the_delivery_status_back(hooks: Hooks) -> None:
    hooks.post_events([hooks.sendgrid_event("k-c1-email", "delivered")])
    hooks.post_events([hooks.sendgrid_event("k-c1-email", "processed")])
    assert hooks.rows("select delivery_status from ops.outbox where idempotency_key = 'k-c1-email'") == [("delivered",)]


def test_an_event_sent_again_in_a_new_signed_batch_is_stored_once(hooks: Hooks) -> None:
    events = [hooks.sendgrid_event("k-c1-email", "delivered")]
    assert hooks.post_events(events).status_code == 204
    hooks.clock[0] = NOW + dt.timedelta(minutes=1)  # SendGrid's retry: same events, new signature
    assert hooks.post_events(events).status_code == 204
    assert hooks.count("ops.message_events") == 1


def test_a_replayed_request_is_refused_and_its_events_stored_once(hooks: Hooks) -> None:
    body = json.dumps([hooks.sendgrid_event("k-c1-email", "delivered")])
    headers = hooks.key.headers(body, NOW)
    assert hooks.client.post("/sendgrid/events", content=body, headers=headers).status_code == 204
    before = hooks.state()
    assert hooks.client.post("/sendgrid/events", content=body, headers=headers).status_code == 403
    assert hooks.state() == before
    assert hooks.count("ops.message_events") == 1


@pytest.mark.parametrize("forgery", ["other_key", "unsigned", "tampered", "stale", "future", "garbage_signature"])
def test_a_forged_or_stale_request_gets_403_and_changes_nothing(hooks: Hooks, forgery: str) -> None:
    events = [hooks.sendgrid_event("k-c1-email", "bounce", type="bounce")]
    body = json.dumps(events)
    headers = hooks.key.headers(body, NOW)
    if forgery == "other_key":
        headers = EventSigningKey().headers(body, NOW)
    elif forgery == "unsigned":
        headers = {"Content-Type": "application/json"}
    elif forgery == "tampered":
        body = body.replace("k-c1-email", "k-c3-email")
    elif forgery == "stale":
        headers = hooks.key.headers(body, NOW - dt.timedelta(minutes=11))
    elif forgery == "future":
        headers = hooks.key.headers(body, NOW + dt.timedelta(minutes=11))
    else:
        headers["X-Twilio-Email-Event-Webhook-Signature"] = "not base64 at all!"
    before = hooks.state()
    response = hooks.client.post("/sendgrid/events", content=body, headers=headers)
    assert response.status_code == 403
    assert "Traceback" not in response.text
    assert hooks.state() == before


def test_a_hard_bounce_opts_the_address_out_of_email_and_a_block_does_not(hooks: Hooks) -> None:
    hooks.post_events(
        [
            hooks.sendgrid_event("k-c1-email", "bounce", type="bounce", reason="550 no such user pagos@x.mx"),
            hooks.sendgrid_event("k-c3-email", "bounce", type="blocked", reason="blocked by 10.0.0.1"),
        ]
    )
    assert hooks.rows("select customer_id, channel, source from ops.opt_outs") == [("C1", "email", "hard_bounce")]
    assert hooks.rows(
        "select delivery_status, bounced_at is not null from ops.outbox where customer_id = 'C1' and channel = 'email'"
    ) == [("bounced", True)]
    reasons = [r[0] for r in hooks.rows("select payload->>'reason' from ops.message_events order by event_id")]
    assert reasons == ["550 no such user <email>", "blocked by 10.0.0.1"]


@pytest.mark.parametrize(
    ("kind", "source"),
    [("spamreport", "spamreport"), ("unsubscribe", "unsubscribe"), ("group_unsubscribe", "unsubscribe")],
)
def test_spam_reports_and_unsubscribes_opt_the_customer_out_of_email(hooks: Hooks, kind: str, source: str) -> None:
    assert hooks.post_events([hooks.sendgrid_event("k-c3-email", kind)]).status_code == 204
    assert hooks.rows("select customer_id, channel, source from ops.opt_outs") == [("C3", "email", source)]
    # an opt-out already in force is not duplicated
    hooks.post_events([hooks.sendgrid_event("k-c3-email", kind, sg_event_id="another")])
    assert hooks.count("ops.opt_outs") == 1


@pytest.mark.parametrize("body", ["{not json", '{"event": "delivered"}', '"text"', "\udcff"])
def test_a_signed_but_malformed_body_gets_400_and_changes_nothing(hooks: Hooks, body: str) -> None:
    raw = body.encode("utf-8", "surrogateescape")
    before = hooks.state()
    response = hooks.post_events(raw)
    assert response.status_code in (400, 403)
    assert hooks.state() == before


def test_unknown_event_types_and_odd_items_are_recorded_as_unknown_without_effect(hooks: Hooks) -> None:
    outbox_before = hooks.rows("select * from ops.outbox order by outbox_id")
    events = [
        hooks.sendgrid_event("k-c1-email", "teleported"),
        42,
        ["a", "list"],
        {"event": None},
    ]
    assert hooks.post_events(events).status_code == 204
    assert [r[0] for r in hooks.rows("select event_type from ops.message_events")] == ["unknown"] * 4
    assert hooks.rows("select * from ops.outbox order by outbox_id") == outbox_before
    assert hooks.count("ops.opt_outs") == 0


def test_a_huge_body_is_refused_with_413(hooks: Hooks) -> None:
    body = json.dumps([hooks.sendgrid_event("k-c1-email", "delivered", pad="x" * 6_000_000)])
    before = hooks.state()
    assert hooks.post_events(body).status_code == 413
    assert hooks.state() == before
