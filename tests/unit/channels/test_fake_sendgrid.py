"""The fake SendGrid server speaks the v3 mail send API (cartera/channels/fake_sendgrid.py)."""

from __future__ import annotations

import email
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest

from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.channels.fake_sendgrid_mail import validate_mail_send

VALID: dict[str, Any] = {
    "personalizations": [{"to": [{"email": "ana@example.mx", "name": "Ana"}]}],
    "from": {"email": "cobranza@example.com", "name": "Cobranza"},
    "subject": "Recordatorio",
    "content": [{"type": "text/plain", "value": "Hola"}, {"type": "text/html", "value": "<p>Hola</p>"}],
    "custom_args": {"idempotency_key": "k1"},
}


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeSendGrid]:
    with FakeSendGrid(tmp_path, api_key="secret") as server:
        yield server


def post(fake: FakeSendGrid, body: bytes, token: str | None = "secret") -> tuple[int, dict[str, str], Any]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{fake.base_url}/v3/mail/send", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            raw = response.read()
            return response.status, dict(response.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), json.loads(exc.read())


def test_a_valid_send_is_accepted_with_a_message_id_and_kept(fake: FakeSendGrid) -> None:
    status, headers, body = post(fake, json.dumps(VALID).encode())
    assert status == 202 and body is None
    message_id = headers["X-Message-Id"]
    with urllib.request.urlopen(f"{fake.base_url}/_fake/messages", timeout=5) as response:
        kept = json.loads(response.read())["messages"]
    assert [m["message_id"] for m in kept] == [message_id]
    assert kept[0]["request"]["custom_args"] == {"idempotency_key": "k1"}


def test_each_accepted_message_is_written_as_a_readable_eml(fake: FakeSendGrid) -> None:
    _, headers, _ = post(fake, json.dumps(VALID).encode())
    (eml,) = fake.outdir.glob("*.eml")
    assert headers["X-Message-Id"] in eml.name and "@" not in eml.name
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == "Recordatorio" and "ana@example.mx" in message["To"]
    assert json.loads(message["X-SendGrid-Custom-Args"]) == {"idempotency_key": "k1"}
    assert message.get_body(("plain",)).get_content().strip() == "Hola"  # type: ignore[union-attr]
    assert "<p>Hola</p>" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_missing_or_wrong_bearer_token_gets_401(fake: FakeSendGrid, token: str | None) -> None:
    status, _, body = post(fake, json.dumps(VALID).encode(), token=token)
    assert status == 401 and "authorization grant" in body["errors"][0]["message"]
    assert fake.messages == []


def test_a_bad_payload_gets_sendgrid_shaped_400_errors(fake: FakeSendGrid) -> None:
    status, _, body = post(fake, b"{not json")
    assert status == 400 and body["errors"][0]["message"] == "Bad Request"
    bad = {**VALID, "personalizations": [{"to": []}], "from": {}}
    status, _, body = post(fake, json.dumps(bad).encode())
    assert status == 400
    assert {e["field"] for e in body["errors"]} == {"personalizations.0.to", "from"}
    assert all({"message", "field", "help"} <= set(e) for e in body["errors"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"content": []}, "content"),
        ({"content": [{"type": "text/html", "value": "<p>x</p>"}, {"type": "text/plain", "value": "x"}]}, "content"),
        ({"custom_args": {"n": 1}}, "custom_args"),
        ({"personalizations": []}, "personalizations"),
    ],
)
def test_the_validator_names_the_failing_field(change: dict[str, Any], field: str) -> None:
    assert field in {e["field"] for e in validate_mail_send({**VALID, **change})}


def test_injected_failures_answer_before_accepting(fake: FakeSendGrid) -> None:
    fake.fail_next(429)
    assert post(fake, json.dumps(VALID).encode())[0] == 429
    assert post(fake, json.dumps(VALID).encode())[0] == 202


def test_clearing_the_kept_messages_over_http(fake: FakeSendGrid) -> None:
    post(fake, json.dumps(VALID).encode())
    request = urllib.request.Request(f"{fake.base_url}/_fake/messages", method="DELETE")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 204
    assert fake.messages == []
