"""Signature checks: SendGrid's ECDSA with a fresh timestamp, Twilio's HMAC over the public URL,
and the Inbound Parse secret."""

from __future__ import annotations

import datetime as dt

import pytest
from twilio.request_validator import RequestValidator

from cartera.channels.fake_events import EventSigningKey
from cartera.receiver.verify import secret_matches, sendgrid_refusal, twilio_refusal

NOW = dt.datetime(2026, 3, 10, 18, 0, tzinfo=dt.UTC)
TEN_MINUTES = dt.timedelta(minutes=10)
KEY = EventSigningKey()
BODY = b'[{"event":"delivered","sg_event_id":"e1"}]'


def _check(body: bytes = BODY, *, at: dt.datetime = NOW, key: EventSigningKey = KEY, public_key: str | None = None):
    headers = key.headers(BODY, at)
    return sendgrid_refusal(
        body,
        headers["X-Twilio-Email-Event-Webhook-Signature"],
        headers["X-Twilio-Email-Event-Webhook-Timestamp"],
        public_key=KEY.public_key if public_key is None else public_key,
        now=NOW,
        tolerance=TEN_MINUTES,
    )


def test_a_fresh_sendgrid_signature_by_the_configured_key_passes() -> None:
    assert _check() is None
    assert _check(at=NOW - dt.timedelta(minutes=9)) is None


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"body": BODY.replace(b"delivered", b"bounce")}, "bad_signature"),
        ({"key": EventSigningKey()}, "bad_signature"),
        ({"at": NOW - dt.timedelta(minutes=11)}, "stale_timestamp"),
        ({"at": NOW + dt.timedelta(minutes=11)}, "stale_timestamp"),
        ({"public_key": ""}, "no_verification_key_configured"),
    ],
)
def test_a_forged_stale_or_unconfigured_sendgrid_request_is_refused(kwargs: dict, reason: str) -> None:  # type: ignore[type-arg]
    assert _check(**kwargs) == reason


@pytest.mark.parametrize(
    ("signature", "timestamp", "reason"),
    [
        (None, "1773165600", "unsigned"),
        ("c2ln", None, "unsigned"),
        ("%%%", "1773165600", "bad_signature"),
        ("c2ln", "yesterday", "bad_timestamp"),
    ],
)
def test_malformed_sendgrid_headers_are_refused(signature: str | None, timestamp: str | None, reason: str) -> None:
    refusal = sendgrid_refusal(BODY, signature, timestamp, public_key=KEY.public_key, now=NOW, tolerance=TEN_MINUTES)
    assert refusal == reason


def test_twilio_signatures_cover_the_public_url_and_every_parameter() -> None:
    url = "https://hooks.example.mx/cartera-hooks/twilio/status"
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    signature = RequestValidator("token").compute_signature(url, params)
    assert twilio_refusal(url, params, signature, auth_token="token") is None
    assert twilio_refusal(url, {**params, "MessageStatus": "failed"}, signature, auth_token="token") == "bad_signature"
    assert (
        twilio_refusal("http://internal:8080/twilio/status", params, signature, auth_token="token") == "bad_signature"
    )
    assert twilio_refusal(url, params, signature, auth_token="other") == "bad_signature"
    assert twilio_refusal(url, params, None, auth_token="token") == "unsigned"
    assert twilio_refusal(url, params, signature, auth_token=None) == "no_auth_token_configured"


def test_the_inbound_secret_must_match_and_be_configured() -> None:
    assert secret_matches("s3cret", "s3cret")
    assert not secret_matches("s3cre", "s3cret")
    assert not secret_matches("", None) and not secret_matches("x", "")
