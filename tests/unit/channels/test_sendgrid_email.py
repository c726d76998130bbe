"""The SendGrid e-mail channel with the real SDK against the fake server (never a mock)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from cartera.channels import ChannelError, OutboundMessage
from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.channels.sendgrid_email import SendGridEmailChannel
from cartera.errors import ConfigurationError

MESSAGE = OutboundMessage(
    channel="email",
    to="ana@example.mx",
    to_name="Ana López",
    subject="Recordatorio",
    text="Factura F-1 · $1,000.00 MXN",
    html="<p>Factura F-1 · $1,000.00 MXN</p>",
    idempotency_key="k" * 64,
    categories=("cobranza", "recordatorio"),
    custom_args={"outbox_id": "7"},
)


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeSendGrid]:
    with FakeSendGrid(tmp_path, api_key="SG.key") as server:
        yield server


def channel(fake: FakeSendGrid, key: str = "SG.key", timeout: float = 5.0) -> SendGridEmailChannel:
    return SendGridEmailChannel(
        key, from_email="cobranza@example.com", from_name="Cobranza", host=fake.base_url, timeout_seconds=timeout
    )


def test_a_send_returns_the_x_message_id_and_carries_the_key_in_custom_args(fake: FakeSendGrid) -> None:
    result = channel(fake).send(MESSAGE)
    (kept,) = fake.messages
    assert result.status_code == 202 and result.provider_message_id == kept["message_id"]
    request = kept["request"]
    assert request["custom_args"] == {"idempotency_key": "k" * 64, "outbox_id": "7"}
    assert request["personalizations"][0]["to"] == [{"email": "ana@example.mx", "name": "Ana López"}]
    assert [c["type"] for c in request["content"]] == ["text/plain", "text/html"]
    assert request["headers"]["List-Unsubscribe"].startswith("<mailto:cobranza@example.com")
    assert sorted(request["categories"]) == ["cobranza", "recordatorio"]  # the SDK prepends each category


def test_one_client_sends_many_messages(fake: FakeSendGrid) -> None:
    sender = channel(fake)
    ids = {sender.send(MESSAGE).provider_message_id for _ in range(3)}
    assert len(ids) == 3 and fake.requests_seen == 3


def test_a_rate_limit_is_not_sent_and_carries_retry_after_without_a_second_request(fake: FakeSendGrid) -> None:
    fake.fail_next(429, retry_after=30)
    with pytest.raises(ChannelError) as raised:
        channel(fake).send(MESSAGE)
    error = raised.value
    assert (error.outcome, error.transient, error.retry_after, error.status_code) == ("not_sent", True, 30.0, 429)
    assert fake.requests_seen == 1 and fake.messages == []


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_may_have_been_accepted_so_it_is_unknown_and_never_retried(
    fake: FakeSendGrid, status: int
) -> None:
    fake.fail_next(status, times=3)
    with pytest.raises(ChannelError) as raised:
        channel(fake).send(MESSAGE)
    assert raised.value.outcome == "unknown" and raised.value.code == f"sendgrid_http_{status}"
    assert fake.requests_seen == 1


def test_a_slow_provider_that_accepted_gives_unknown_and_exactly_one_copy(fake: FakeSendGrid) -> None:
    fake.hang_next(1.5)
    with pytest.raises(ChannelError) as raised:
        channel(fake, timeout=0.3).send(MESSAGE)
    assert raised.value.outcome == "unknown"
    assert fake.copies(MESSAGE.idempotency_key) == 1 and fake.requests_seen == 1


def test_a_connection_reset_after_acceptance_is_unknown(fake: FakeSendGrid) -> None:
    fake.reset_next()
    with pytest.raises(ChannelError) as raised:
        channel(fake).send(MESSAGE)
    assert raised.value.outcome == "unknown" and fake.copies(MESSAGE.idempotency_key) == 1


def test_find_sent_finds_an_accepted_message_by_its_key_in_the_activity_feed(fake: FakeSendGrid) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    fake.hang_next(1.0)
    sender = channel(fake, timeout=0.3)
    with pytest.raises(ChannelError):
        sender.send(MESSAGE)
    record = sender.find_sent(MESSAGE, since)
    assert record is not None and record.provider_message_id == fake.messages[0]["message_id"]
    other = OutboundMessage(channel="email", to="x@example.mx", text="t", subject="s", idempotency_key="z" * 64)
    assert sender.find_sent(other, since) is None


def test_a_refused_key_is_an_auth_outcome_and_not_retried(fake: FakeSendGrid) -> None:
    with pytest.raises(ChannelError) as raised:
        channel(fake, key="SG.other").send(MESSAGE)
    assert raised.value.outcome == "auth" and raised.value.code == "sendgrid_http_401"
    assert fake.requests_seen == 1


def test_an_unreachable_host_is_certainly_not_sent(tmp_path: Path) -> None:
    with FakeSendGrid(tmp_path) as server:
        url = server.base_url
    sender = SendGridEmailChannel("SG.key", from_email="c@example.com", host=url)
    with pytest.raises(ChannelError) as raised:
        sender.send(MESSAGE)
    assert raised.value.outcome == "not_sent" and raised.value.transient
    assert raised.value.code.startswith("sendgrid_network_")


@pytest.mark.parametrize(
    ("name", "subject"),
    [("Ana\r\nBcc: victim@example.com", "Recordatorio"), ("Ana", "Hola\r\nBcc: victim@example.com")],
)
def test_line_breaks_in_names_and_subjects_never_reach_a_header(fake: FakeSendGrid, name: str, subject: str) -> None:
    message = OutboundMessage(
        channel="email", to="ana@example.mx", to_name=name, subject=subject, text="t", idempotency_key="h" * 64
    )
    channel(fake).send(message)
    request = fake.messages[0]["request"]
    sent_name = request["personalizations"][0]["to"][0].get("name", "")
    assert "\r" not in sent_name and "\n" not in sent_name
    assert "\n" not in request["subject"] and "\r" not in request["subject"]


@pytest.mark.parametrize("address", ["ana@example.mx\r\nBcc: x@y.z", "no-at-sign", "a b@example.mx", ""])
def test_a_malformed_address_is_refused_before_any_request(fake: FakeSendGrid, address: str) -> None:
    message = OutboundMessage(channel="email", to=address, subject="s", text="t", idempotency_key="m" * 64)
    with pytest.raises(ChannelError) as raised:
        channel(fake).send(message)
    assert raised.value.outcome == "not_sent" and not raised.value.transient
    assert fake.requests_seen == 0


def test_no_address_name_or_key_reaches_the_logs(fake: FakeSendGrid, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    channel(fake).send(MESSAGE)
    with pytest.raises(ChannelError):
        channel(fake, key="SG.other").send(MESSAGE)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "ana@example.mx" not in logged and "López" not in logged and "SG." not in logged
    assert "ana@example.mx" not in repr(MESSAGE)


def test_an_empty_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        SendGridEmailChannel("", from_email="c@example.com")
