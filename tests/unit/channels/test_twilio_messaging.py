"""SMS and WhatsApp through the real Twilio SDK against the fake Messages API (never a mock)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from cartera.channels import ChannelError, OutboundMessage, ReconciliationUnavailable
from cartera.channels.fake_twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, FakeTwilio
from cartera.channels.twilio_messaging import (
    TwilioSmsChannel,
    TwilioWhatsAppChannel,
    content_fingerprint,
)
from cartera.channels.whatsapp_templates import TemplateRegistry
from cartera.errors import ConfigurationError

SENDER = "+525500000001"
DEBTOR = "+525550000123"  # made up
CONTENT_SID = "HX" + "ab" * 16
SMS = OutboundMessage(
    channel="sms", to="55 5000 0123", text="Recordatorio: factura F-1 vence hoy.", idempotency_key="k" * 64
)
TEMPLATE = OutboundMessage(
    channel="whatsapp",
    to=DEBTOR,
    text="",
    idempotency_key="w" * 64,
    template="recordatorio_vencido",
    template_variables={"monto": "$1,000.00 MXN", "factura": "F-1"},
)
REGISTRY = TemplateRegistry.from_mapping(
    {
        "recordatorio_vencido": {
            "category": "utility",
            "variables": ["factura", "monto"],
            "languages": {"es": CONTENT_SID},
        }
    }
)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(seed=7) as server:
        yield server


def options(fake: FakeTwilio, **extra: Any) -> dict[str, Any]:
    return {
        "from_number": SENDER,
        "base_url": fake.base_url,
        "status_callback_base": "https://hooks.example.com/",
        "timeout_seconds": 1.0,
        **extra,
    }


@pytest.fixture
def sms(fake: FakeTwilio) -> Iterator[TwilioSmsChannel]:
    with TwilioSmsChannel(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, **options(fake)) as channel:
        yield channel


@pytest.fixture
def whatsapp(fake: FakeTwilio) -> Iterator[TwilioWhatsAppChannel]:
    with TwilioWhatsAppChannel(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, templates=REGISTRY, **options(fake)) as channel:
        yield channel


def error_of(channel: TwilioSmsChannel | TwilioWhatsAppChannel, message: OutboundMessage) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        channel.send(message)
    return caught.value


def test_an_sms_goes_through_the_sdk_with_e164_numbers_and_the_status_callback(
    fake: FakeTwilio, sms: TwilioSmsChannel
) -> None:
    result = sms.send(SMS)
    (kept,) = fake.messages
    assert result.provider_message_id == kept["sid"] and result.status_code == 201
    assert kept["sid"].startswith("SM") and len(kept["sid"]) == 34 and kept["status"] == "queued"
    assert kept["request"] == {
        "To": DEBTOR,
        "From": SENDER,
        "Body": SMS.text,
        "StatusCallback": "https://hooks.example.com/twilio/status",
    }
    assert sms.name == "sms" and sms.provider == "twilio"


def test_no_status_callback_is_sent_when_none_is_configured(fake: FakeTwilio) -> None:
    with TwilioSmsChannel(
        DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, **options(fake, status_callback_base=None)
    ) as channel:
        channel.send(SMS)
    assert "StatusCallback" not in fake.messages[0]["request"]


def test_an_sms_longer_than_the_maximum_segments_is_refused_before_any_request(
    fake: FakeTwilio, sms: TwilioSmsChannel
) -> None:
    long_text = OutboundMessage(channel="sms", to=DEBTOR, text="ó" * (67 * 4 + 1), idempotency_key="k")
    error = error_of(sms, long_text)
    assert (error.outcome, error.transient) == ("not_sent", False)
    assert error.code == "sms_too_long encoding=UCS-2 segments=5 max=4"
    assert fake.requests_seen == 0
    sms.send(OutboundMessage(channel="sms", to=DEBTOR, text="a" * 153 * 4, idempotency_key="k"))  # exactly 4 GSM-7
    assert fake.messages[0]["num_segments"] == "4"


@pytest.mark.parametrize("to", ["12345", "not a phone", ""])
def test_an_invalid_number_is_refused_before_any_request(fake: FakeTwilio, sms: TwilioSmsChannel, to: str) -> None:
    error = error_of(sms, OutboundMessage(channel="sms", to=to, text="Hola", idempotency_key="k"))
    assert (error.code, error.outcome, error.transient) == ("twilio_invalid_to", "not_sent", False)
    assert fake.requests_seen == 0


@pytest.mark.parametrize("twilio_code", [21211, 21610, 63016])
def test_a_400_is_not_sent_and_permanent_with_twilios_error_code(
    fake: FakeTwilio, sms: TwilioSmsChannel, twilio_code: int
) -> None:
    fake.fail_next(400, code=twilio_code)
    error = error_of(sms, SMS)
    assert (error.code, error.outcome, error.transient) == (f"twilio_http_400 code={twilio_code}", "not_sent", False)
    assert error.status_code == 400 and fake.messages == []


def test_an_opted_out_recipient_is_refused_by_the_fake_with_21610(fake: FakeTwilio, sms: TwilioSmsChannel) -> None:
    fake.reject_numbers.add(DEBTOR)
    assert error_of(sms, SMS).code == "twilio_http_400 code=21610"


def test_a_429_is_not_sent_and_transient_with_its_retry_after(fake: FakeTwilio, sms: TwilioSmsChannel) -> None:
    fake.fail_next(429, retry_after=17)
    error = error_of(sms, SMS)
    assert (error.outcome, error.transient, error.retry_after) == ("not_sent", True, 17.0)
    assert fake.requests_seen == 1  # no retry inside the SDK
    sms.send(SMS)  # the next request is a fresh one (the header is not carried over)
    assert len(fake.messages) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_outcome_auth(fake: FakeTwilio, sms: TwilioSmsChannel, status: int) -> None:
    fake.fail_next(status)
    error = error_of(sms, SMS)
    assert (error.outcome, error.transient, error.code) == ("auth", False, f"twilio_http_{status} code=20003")


def test_a_wrong_auth_token_is_outcome_auth(fake: FakeTwilio) -> None:
    with TwilioSmsChannel(DEFAULT_ACCOUNT_SID, "wrong", **options(fake)) as channel:
        assert error_of(channel, SMS).outcome == "auth"


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_is_outcome_unknown_and_sent_once(fake: FakeTwilio, sms: TwilioSmsChannel, status: int) -> None:
    fake.fail_next(status, times=3)
    error = error_of(sms, SMS)
    assert (error.outcome, error.transient) == ("unknown", True)
    assert fake.requests_seen == 1


def test_a_time_out_after_acceptance_is_unknown_and_the_provider_holds_exactly_one_copy(
    fake: FakeTwilio, sms: TwilioSmsChannel
) -> None:
    fake.hang_next(5)
    error = error_of(sms, SMS)
    assert (error.code, error.outcome) == ("twilio_network_timeout", "unknown")
    assert len(fake.messages) == 1 and fake.requests_seen == 1


def test_a_connection_reset_after_the_request_is_unknown_and_never_retried(
    fake: FakeTwilio, sms: TwilioSmsChannel
) -> None:
    fake.reset_next()
    error = error_of(sms, SMS)
    assert (error.code, error.outcome) == ("twilio_network_reset", "unknown")
    assert len(fake.messages) == 1 and fake.requests_seen == 1


def test_a_refused_connection_is_not_sent_and_transient() -> None:
    with FakeTwilio() as gone:
        url = gone.base_url  # a port nobody listens on once the fake stops
    with TwilioSmsChannel(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, from_number=SENDER, base_url=url) as channel:
        error = error_of(channel, SMS)
    assert (error.code, error.outcome, error.transient) == ("twilio_network_not_connected", "not_sent", True)


def test_find_sent_finds_the_message_a_time_out_left_unknown(fake: FakeTwilio, sms: TwilioSmsChannel) -> None:
    since = dt.datetime.now(dt.UTC)
    sms.send(OutboundMessage(channel="sms", to=DEBTOR, text="Otro aviso", idempotency_key="other"))
    fake.hang_next(5)
    error_of(sms, SMS)
    record = sms.find_sent(SMS, since)
    assert record is not None and record.provider_message_id == fake.messages[-1]["sid"]
    assert record.status == "queued" and record.accepted_at is not None and record.accepted_at.tzinfo is not None


def test_find_sent_answers_none_for_a_message_twilio_never_accepted(fake: FakeTwilio, sms: TwilioSmsChannel) -> None:
    since = dt.datetime.now(dt.UTC)
    fake.fail_next(429)
    error_of(sms, SMS)
    assert sms.find_sent(SMS, since) is None


def test_find_sent_ignores_a_same_text_sent_before_the_window(fake: FakeTwilio, sms: TwilioSmsChannel) -> None:
    sms.send(SMS)
    assert sms.find_sent(SMS, dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)) is None


def test_find_sent_raises_reconciliation_unavailable_when_twilio_cannot_answer(fake: FakeTwilio) -> None:
    with TwilioSmsChannel(DEFAULT_ACCOUNT_SID, "wrong", **options(fake)) as channel:
        with pytest.raises(ReconciliationUnavailable):
            channel.find_sent(SMS, dt.datetime.now(dt.UTC))


def test_find_sent_reads_following_pages_and_gives_up_past_its_record_limit(fake: FakeTwilio) -> None:
    since = dt.datetime.now(dt.UTC)
    with TwilioSmsChannel(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, **options(fake)) as channel:
        channel.send(SMS)
        for i in range(60):  # newer messages to the same number push ours to the second page
            channel.send(OutboundMessage(channel="sms", to=DEBTOR, text=f"aviso {i}", idempotency_key=str(i)))
        record = channel.find_sent(SMS, since)
        assert record is not None and record.provider_message_id == fake.messages[0]["sid"]
    with TwilioSmsChannel(
        DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, **options(fake, reconcile_max_records=10)
    ) as channel:
        with pytest.raises(ReconciliationUnavailable, match="reconcile_limit"):
            channel.find_sent(SMS, since)


def test_a_whatsapp_template_is_sent_by_content_sid_with_variables_in_template_order(
    fake: FakeTwilio, whatsapp: TwilioWhatsAppChannel
) -> None:
    since = dt.datetime.now(dt.UTC)
    whatsapp.send(TEMPLATE)
    request = fake.messages[0]["request"]
    assert request["To"] == f"whatsapp:{DEBTOR}" and request["From"] == f"whatsapp:{SENDER}"
    assert request["ContentSid"] == CONTENT_SID and "Body" not in request
    assert json.loads(request["ContentVariables"]) == {"1": "F-1", "2": "$1,000.00 MXN"}
    record = whatsapp.find_sent(TEMPLATE, since)
    assert record is not None and record.provider_message_id == fake.messages[0]["sid"]


def test_whatsapp_free_text_needs_the_open_window_flag(fake: FakeTwilio, whatsapp: TwilioWhatsAppChannel) -> None:
    plain = OutboundMessage(channel="whatsapp", to=DEBTOR, text="¿Le llamamos mañana?", idempotency_key="f")
    error = error_of(whatsapp, plain)
    assert (error.code, error.outcome, error.transient) == ("whatsapp_outside_window_needs_template", "not_sent", False)
    assert fake.requests_seen == 0
    inside = OutboundMessage(
        channel="whatsapp", to=DEBTOR, text="¿Le llamamos mañana?", idempotency_key="f", window_open=True
    )
    whatsapp.send(inside)
    assert fake.messages[0]["request"]["Body"] == "¿Le llamamos mañana?"
    assert "to=" not in repr(inside) and DEBTOR not in repr(inside)


def test_an_unknown_template_or_a_missing_variable_is_refused_before_any_request(
    fake: FakeTwilio, whatsapp: TwilioWhatsAppChannel
) -> None:
    unknown = OutboundMessage(channel="whatsapp", to=DEBTOR, text="", idempotency_key="u", template="promo")
    assert error_of(whatsapp, unknown).code == "whatsapp_template_unknown name=promo language=es"
    english = OutboundMessage(**{**TEMPLATE.__dict__, "language": "en"})
    assert error_of(whatsapp, english).code.startswith("whatsapp_template_unknown")
    missing = OutboundMessage(**{**TEMPLATE.__dict__, "template_variables": {"factura": "F-1"}})
    assert error_of(whatsapp, missing).code == "whatsapp_template_variable_missing name=monto"
    assert fake.requests_seen == 0
    regional = OutboundMessage(**{**TEMPLATE.__dict__, "language": "es-MX"})  # falls back to es
    whatsapp.send(regional)


def test_a_message_for_another_channel_is_refused(whatsapp: TwilioWhatsAppChannel) -> None:
    assert error_of(whatsapp, SMS).code == "twilio_wrong_channel channel=sms"


def test_nothing_personal_is_logged_even_when_a_send_fails(
    fake: FakeTwilio, sms: TwilioSmsChannel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sms.send(SMS)
    fake.fail_next(400, code=21211)
    error_of(sms, SMS)
    sms.find_sent(SMS, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    assert caplog.records  # the refusal is logged, by key and code
    for fragment in ("5550000123", "5000 0123", DEFAULT_AUTH_TOKEN, "factura F-1"):
        assert fragment not in caplog.text


def test_the_content_fingerprint_ignores_surrounding_space_and_unicode_composition() -> None:
    assert content_fingerprint(" vencerá\n") == content_fingerprint("vencera\u0301")
    assert content_fingerprint("a") != content_fingerprint("b")


def test_from_settings_reads_credentials_senders_and_templates(
    fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from cartera.config import get_settings

    templates = tmp_path / "templates.yml"
    templates.write_text(
        f"recordatorio_vencido:\n  category: utility\n  variables: [factura, monto]\n  languages:\n    es: {CONTENT_SID}\n"
    )
    for name, value in {
        "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
        "TWILIO_SMS_FROM": SENDER,
        "TWILIO_WHATSAPP_FROM": "+525500000009",
        "TWILIO_BASE_URL": fake.base_url,
        "TWILIO_STATUS_CALLBACK_BASE": "https://hooks.example.com",
        "SMS_MAX_SEGMENTS": "1",
        "WHATSAPP_TEMPLATES_FILE": str(templates),
    }.items():
        monkeypatch.setenv(f"CARTERA_{name}", value)
    get_settings.cache_clear()
    try:
        with TwilioSmsChannel.from_settings() as sms, TwilioWhatsAppChannel.from_settings() as whatsapp:
            assert sms.max_segments == 1
            sms.send(SMS)
            whatsapp.send(TEMPLATE)
        assert [m["from"] for m in fake.messages] == [SENDER, "whatsapp:+525500000009"]
        assert fake.messages[1]["request"]["StatusCallback"] == "https://hooks.example.com/twilio/status"
        monkeypatch.delenv("CARTERA_TWILIO_AUTH_TOKEN")
        get_settings.cache_clear()
        with pytest.raises(ConfigurationError, match="CARTERA_TWILIO_AUTH_TOKEN"):
            TwilioSmsChannel.from_settings()
    finally:
        get_settings.cache_clear()


def test_a_sender_that_is_not_a_phone_number_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        TwilioSmsChannel(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, from_number="Cobranza")
    with pytest.raises(ConfigurationError):
        TwilioSmsChannel("", DEFAULT_AUTH_TOKEN, from_number=SENDER)
