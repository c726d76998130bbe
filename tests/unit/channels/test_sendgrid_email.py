"""The SendGrid e-mail channel with the real SDK against the fake server (never a mock)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from tenacity import wait_none

from cartera.channels import ChannelError, OutboundEmail
from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.channels.sendgrid_email import SendGridEmailChannel
from cartera.errors import ConfigurationError

MESSAGE = OutboundEmail(
    to_email="ana@example.mx",
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


def channel(fake: FakeSendGrid, key: str = "SG.key", attempts: int = 3) -> SendGridEmailChannel:
    return SendGridEmailChannel(
        key,
        from_email="cobranza@example.com",
        from_name="Cobranza",
        host=fake.base_url,
        max_attempts=attempts,
        wait=wait_none(),
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


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_server_errors_are_retried(fake: FakeSendGrid, status: int) -> None:
    fake.fail_next(status, times=2)
    assert channel(fake).send(MESSAGE).provider_message_id
    assert fake.requests_seen == 3 and len(fake.messages) == 1


def test_a_persistent_outage_ends_in_a_transient_error(fake: FakeSendGrid) -> None:
    fake.fail_next(503, times=5)
    with pytest.raises(ChannelError) as raised:
        channel(fake, attempts=3).send(MESSAGE)
    assert raised.value.transient and raised.value.code == "sendgrid_http_503"
    assert fake.requests_seen == 3


def test_a_refused_key_is_permanent_and_not_retried(fake: FakeSendGrid) -> None:
    with pytest.raises(ChannelError) as raised:
        channel(fake, key="SG.other").send(MESSAGE)
    assert not raised.value.transient and raised.value.code == "sendgrid_http_401"
    assert fake.requests_seen == 1


def test_an_unreachable_host_is_a_transient_error(tmp_path: Path) -> None:
    with FakeSendGrid(tmp_path) as server:
        url = server.base_url
    sender = SendGridEmailChannel("SG.key", from_email="c@example.com", host=url, max_attempts=2, wait=wait_none())
    with pytest.raises(ChannelError) as raised:
        sender.send(MESSAGE)
    assert raised.value.transient and raised.value.code.startswith("sendgrid_network_")


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
