"""Provider callbacks as events: our names for what happened, what they imply for the message,
and payloads with no address, number or message text in them."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cartera.receiver.events import personal_hash, sendgrid_event, twilio_status_event


def _sg(kind: str, **extra: object) -> dict[str, object]:
    return {
        "email": "Pagos@Cliente.example.mx",
        "timestamp": 1773165600,
        "event": kind,
        "sg_event_id": "abc",
        "sg_message_id": "MSGID.filterdrecv-1.2",
        "idempotency_key": "k1",
        "outbox_id": "7",
        "ip": "203.0.113.9",
        "useragent": "Mozilla",
        **extra,
    }


@pytest.mark.parametrize(
    ("kind", "extra", "event_type", "opt_out"),
    [
        ("processed", {}, "processed", None),
        ("delivered", {}, "delivered", None),
        ("deferred", {}, "deferred", None),
        ("bounce", {"type": "bounce"}, "bounced", "hard_bounce"),
        ("bounce", {"type": "blocked"}, "blocked", None),
        ("dropped", {"reason": "Bounced Address"}, "dropped", "hard_bounce"),
        ("dropped", {"reason": "Invalid SMTPAPI header"}, "dropped", None),
        ("open", {}, "opened", None),
        ("click", {"url": "https://pay.example.mx/x?token=123"}, "clicked", None),
        ("spamreport", {}, "spamreport", "spamreport"),
        ("unsubscribe", {}, "unsubscribed", "unsubscribe"),
        ("group_unsubscribe", {}, "unsubscribed", "unsubscribe"),
        ("group_resubscribe", {}, "resubscribed", None),
        ("something_new", {}, "unknown", None),
    ],
)
def test_sendgrid_events_are_named_and_their_effects_known(
    kind: str, extra: dict[str, object], event_type: str, opt_out: str | None
) -> None:
    event = sendgrid_event(_sg(kind, **extra))
    assert (event.event_type, event.opt_out_source) == (event_type, opt_out)
    assert (event.provider_message_id, event.outbox_id, event.idempotency_key) == ("MSGID", 7, "k1")
    assert event.occurred_at == dt.datetime(2026, 3, 10, 18, 0, tzinfo=dt.UTC)


def test_a_sendgrid_payload_keeps_no_personal_data() -> None:
    event = sendgrid_event(
        _sg(
            "bounce",
            reason="550 5.1.1 <pagos@cliente.example.mx>: user unknown, call +52 55 1234 5678",
            url="https://pay.example.mx/x?email=pagos@cliente.example.mx",
        )
    )
    text = json.dumps(event.payload)
    assert "cliente.example.mx" not in text and "1234 5678" not in text and "203.0.113.9" not in text
    assert event.payload["email_sha256"] == personal_hash("pagos@cliente.example.mx")
    assert event.payload["url_host"] == "pay.example.mx"
    assert set(event.payload["dropped_fields"]) == {"ip", "useragent"}


@pytest.mark.parametrize("item", [42, "text", ["a"], None, {}])
def test_an_unreadable_sendgrid_item_is_an_unknown_event_with_a_stable_id(item: object) -> None:
    first, again = sendgrid_event(item), sendgrid_event(item)
    assert first.event_type == "unknown" and first.provider_event_id == again.provider_event_id


@pytest.mark.parametrize(
    ("status", "code", "event_type", "opt_out"),
    [
        ("delivered", "", "delivered", None),
        ("undelivered", "30003", "undelivered", None),
        ("undelivered", "30006", "bounced", "hard_bounce"),
        ("failed", "21211", "bounced", "hard_bounce"),
        ("failed", "21610", "failed", "unsubscribe"),
        ("read", "", "read", None),
        ("weird", "", "unknown", None),
    ],
)
def test_twilio_statuses(status: str, code: str, event_type: str, opt_out: str | None) -> None:
    params = {"MessageSid": "SM1", "MessageStatus": status, "ErrorCode": code, "To": "+525512345678", "From": "+5255"}
    event = twilio_status_event(params, dt.datetime(2026, 3, 10, tzinfo=dt.UTC))
    assert (event.event_type, event.opt_out_source, event.provider_event_id) == (event_type, opt_out, f"SM1:{status}")
    assert "+525512345678" not in json.dumps(event.payload)


def test_a_whatsapp_callback_is_on_the_whatsapp_channel() -> None:
    params = {"MessageSid": "SM1", "MessageStatus": "read", "To": "whatsapp:+525512345678"}
    assert twilio_status_event(params, dt.datetime(2026, 3, 10, tzinfo=dt.UTC)).channel == "whatsapp"
