"""Twilio's status callbacks and inbound messages: signed with the auth token over the public URL;
a wrong signature changes nothing; BAJA by SMS opts the customer out of SMS at once."""

from __future__ import annotations

import pytest
from receiver_hooks import C2_PHONE, MESSAGES, Hooks

pytestmark = pytest.mark.integration

SID_C2 = MESSAGES["k-c2-sms"][2]


def _status(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "To": C2_PHONE,
        "From": "+525500000000",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def test_a_signed_status_callback_updates_the_message_once(hooks: Hooks) -> None:
    assert hooks.post_twilio("status", _status(SID_C2, "sent")).status_code == 204
    assert hooks.post_twilio("status", _status(SID_C2, "delivered")).status_code == 204
    assert hooks.post_twilio("status", _status(SID_C2, "delivered")).status_code == 204  # Twilio's retry
    assert hooks.rows(
        "select status, delivery_status, delivered_at is not null from ops.outbox where outbox_id = %s",
        (hooks.outbox_ids["k-c2-sms"],),
    ) == [("sent", "delivered", True)]
    events = hooks.rows("select provider_event_id, event_type, customer_id, payload from ops.message_events")
    assert [(e[0], e[1], e[2]) for e in events] == [
        (f"{SID_C2}:sent", "sent", "C2"),
        (f"{SID_C2}:delivered", "delivered", "C2"),
    ]
    assert all("To" not in e[3] and "to_sha256" in e[3] for e in events)


@pytest.mark.parametrize("route", ["status", "inbound"])
def test_a_wrong_signature_gets_403_and_changes_nothing(hooks: Hooks, route: str) -> None:
    params = (
        _status(SID_C2, "undelivered", ErrorCode="30006")
        if route == "status"
        else {"MessageSid": "SMforged", "From": C2_PHONE, "To": "+525500000000", "Body": "BAJA"}
    )
    before = hooks.state()
    assert hooks.post_twilio(route, params, token="not-the-token").status_code == 403
    unsigned = hooks.client.post(f"/twilio/{route}", data=params)
    assert unsigned.status_code == 403
    assert hooks.state() == before


def test_a_signature_over_another_url_is_refused(hooks: Hooks) -> None:
    from receiver_hooks import TWILIO_TOKEN
    from twilio.request_validator import RequestValidator

    params = _status(SID_C2, "delivered")
    signature = RequestValidator(TWILIO_TOKEN).compute_signature("https://evil.example/twilio/status", params)
    before = hooks.state()
    response = hooks.client.post("/twilio/status", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert hooks.state() == before


def test_an_unreachable_number_pauses_sms_for_the_customer(hooks: Hooks) -> None:
    hooks.post_twilio("status", _status(SID_C2, "undelivered", ErrorCode="30006"))
    assert hooks.rows("select customer_id, channel, source from ops.opt_outs") == [("C2", "sms", "hard_bounce")]


def test_an_unknown_status_is_recorded_as_unknown_without_effect(hooks: Hooks) -> None:
    before = hooks.rows("select * from ops.outbox order by outbox_id")
    assert hooks.post_twilio("status", _status(SID_C2, "teleported")).status_code == 204
    assert hooks.rows("select event_type from ops.message_events") == [("unknown",)]
    assert hooks.rows("select * from ops.outbox order by outbox_id") == before


def test_baja_by_sms_opts_the_customer_out_of_sms_and_owes_one_confirmation(hooks: Hooks) -> None:
    # The ERP holds C2's number in the pre-2019 form (044 664 …); Twilio sends E.164.
    response = hooks.sms_reply("SMreply0001", C2_PHONE, "Baja")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml") and "<Response>" in response.text
    assert hooks.rows("select customer_id, channel, source from ops.opt_outs") == [("C2", "sms", "reply")]
    reply = hooks.rows(
        "select customer_id, channel, classification, route, confirmation_due, outbox_id, text from ops.inbound_replies"
    )
    assert reply == [("C2", "sms", "opt_out", "opt_out", True, hooks.outbox_ids["k-c2-sms"], "Baja")]
    # the number is in no event row, in clear
    assert C2_PHONE not in str(hooks.rows("select payload from ops.message_events"))
    # Twilio retries the webhook: nothing more happens
    hooks.sms_reply("SMreply0001", C2_PHONE, "Baja")
    assert hooks.count("ops.inbound_replies") == 1 and hooks.count("ops.opt_outs") == 1


def test_stop_that_twilio_already_answered_owes_no_confirmation(hooks: Hooks) -> None:
    hooks.sms_reply("SMreply0002", C2_PHONE, "STOP", OptOutType="STOP")
    assert hooks.rows("select classification, rule, confirmation_due from ops.inbound_replies") == [
        ("opt_out", "provider.opt_out_type", False)
    ]
    assert hooks.rows("select channel from ops.opt_outs where customer_id = 'C2'") == [("sms",)]


def test_a_whatsapp_reply_is_read_on_the_whatsapp_channel(hooks: Hooks) -> None:
    hooks.sms_reply("SMreply0003", f"whatsapp:{C2_PHONE}", "ALTO", To="whatsapp:+525500000000")
    assert hooks.rows("select customer_id, channel, source from ops.opt_outs") == [("C2", "whatsapp", "reply")]
    assert hooks.rows("select confirmation_due from ops.inbound_replies") == [(False,)]


def test_an_inbound_message_without_a_sid_is_a_bad_request(hooks: Hooks) -> None:
    before = hooks.state()
    assert hooks.post_twilio("inbound", {"From": C2_PHONE, "Body": "hola"}).status_code == 400
    assert hooks.state() == before
