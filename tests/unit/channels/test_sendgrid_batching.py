"""Many messages per SendGrid request: how messages are split into requests (limits, the
one-per-request fallback), what a batched request carries, and how the fake renders it."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from collections.abc import Iterator
from pathlib import Path

import pytest

from cartera.channels import BatchChannel, ChannelError, OutboundMessage, SendResult
from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.channels.fake_sendgrid_mail import validate_mail_send
from cartera.channels.sendgrid_email import (
    HTML_TAG,
    SUBSTITUTION_BYTES,
    TEXT_TAG,
    SendGridEmailChannel,
    request_groups,
    substitutions_of,
)


def message(n: int, **changes: object) -> OutboundMessage:
    base = OutboundMessage(
        channel="email",
        to=f"cliente{n}@example.mx",
        to_name=f"Contacto {n}",
        subject=f"Estado de cuenta {n}",
        text=f"Factura F-{n} · ${n},000.00 MXN",
        html=f"<p>Factura F-{n} · ${n},000.00 MXN</p>",
        idempotency_key=f"{n:064d}",
        categories=("cobranza", "recordatorio"),
        custom_args={"outbox_id": str(n), "step": "recordatorio"},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeSendGrid]:
    with FakeSendGrid(tmp_path, api_key="SG.key") as server:
        yield server


def channel(fake: FakeSendGrid) -> SendGridEmailChannel:
    return SendGridEmailChannel("SG.key", from_email="cobranza@example.com", host=fake.base_url, timeout_seconds=5)


def test_messages_sharing_their_parts_share_requests_of_at_most_max_size() -> None:
    messages = [message(n) for n in range(2500)]
    groups = request_groups(messages, max_size=1000)
    assert [len(g) for g in groups] == [1000, 1000, 500]
    assert [i for g in groups for i in g] == list(range(2500))  # every message once, order kept
    assert [len(g) for g in request_groups(messages[:5], max_size=5000)] == [5]  # never above 1,000
    assert len(request_groups(messages[:3000], max_size=5000)) == 3


def test_one_request_per_message_when_max_size_is_one() -> None:
    assert request_groups([message(n) for n in range(4)], max_size=1) == [[0], [1], [2], [3]]


def test_a_body_over_the_substitution_limit_goes_alone_as_a_plain_send() -> None:
    big = message(1, html="<p>" + "x" * SUBSTITUTION_BYTES + "</p>")
    assert substitutions_of(big) is None
    assert request_groups([message(0), big, message(2)], max_size=1000) == [[0, 2], [1]]


def test_a_body_containing_a_placeholder_goes_alone() -> None:
    tricky = message(1, text=f"see {TEXT_TAG}")
    assert substitutions_of(tricky) is None
    assert request_groups([message(0), tricky], max_size=1000) == [[0], [1]]


def test_the_substitution_limit_counts_bytes_not_characters() -> None:
    room = SUBSTITUTION_BYTES - len(TEXT_TAG) - len(HTML_TAG) - len("<p></p>")
    fits = message(1, text="", html="<p>" + "a" * room + "</p>")
    too_big = message(1, text="", html="<p>" + "á" * room + "</p>")  # two bytes each in UTF-8
    assert substitutions_of(fits) is not None and substitutions_of(too_big) is None


def test_different_categories_or_html_never_share_a_request() -> None:
    messages = [message(0), message(1, categories=("cobranza", "preventivo")), message(2, html=None), message(3)]
    assert request_groups(messages, max_size=1000) == [[0, 3], [1], [2]]


def test_an_address_appears_once_per_request() -> None:
    twice = [message(0), message(1, to="CLIENTE0@example.mx"), message(2)]
    assert request_groups(twice, max_size=1000) == [[0], [1, 2]]


def test_the_request_size_limit_splits_large_batches() -> None:
    messages = [message(n) for n in range(10)]
    groups = request_groups(messages, max_size=1000, request_limit=3000)
    assert len(groups) > 1 and sorted(i for g in groups for i in g) == list(range(10))


def test_a_batched_request_carries_one_personalization_per_message_with_its_own_key_and_body(
    fake: FakeSendGrid,
) -> None:
    sender = channel(fake)
    assert isinstance(sender, BatchChannel)
    messages = [message(n) for n in range(3)]
    answers = sender.send_many(messages)
    assert all(isinstance(a, SendResult) and a.status_code == 202 for a in answers)
    (request,) = fake.requests
    assert request["content"] == [{"type": "text/plain", "value": TEXT_TAG}, {"type": "text/html", "value": HTML_TAG}]
    assert [p["custom_args"] for p in request["personalizations"]] == [
        {"idempotency_key": m.idempotency_key, "outbox_id": m.custom_args["outbox_id"], "step": "recordatorio"}
        for m in messages
    ]
    assert [p["substitutions"] for p in request["personalizations"]] == [
        {TEXT_TAG: m.text, HTML_TAG: m.html} for m in messages
    ]
    # The fake renders each copy as SendGrid would: its own subject, body and key.
    for m in messages:
        assert fake.copies(m.idempotency_key) == 1
    copies = {c["request"]["custom_args"]["idempotency_key"]: c for c in fake.messages}
    for m in messages:
        rendered = copies[m.idempotency_key]["request"]
        assert rendered["subject"] == m.subject
        assert [b["value"] for b in rendered["content"]] == [m.text, m.html]
    emls = sorted(fake.outdir.glob("*.eml"))
    assert len(emls) == 3
    parsed = email.message_from_bytes(emls[0].read_bytes(), policy=email.policy.default)
    text = parsed.get_body(preferencelist=("plain",))
    assert text is not None and text.get_content().strip() == messages[0].text


def test_a_400_naming_a_personalization_fails_only_that_message_and_sends_the_rest(fake: FakeSendGrid) -> None:
    sender = channel(fake)
    messages = [message(0), message(1), message(2)]
    # The same address in two personalizations: SendGrid names the second one.
    body = sender.build_batch([messages[0], dataclasses.replace(messages[1], to=messages[0].to)])
    errors = validate_mail_send(body)
    assert [e["field"] for e in errors] == ["personalizations.1.to"]
    fake.fail_next(400)  # a 400 naming nothing: every message not sent
    answers = sender.send_many(messages)
    assert all(isinstance(a, ChannelError) and a.outcome == "not_sent" for a in answers)
    assert fake.requests == []


def test_a_time_out_on_a_batched_request_makes_every_message_unknown(fake: FakeSendGrid) -> None:
    sender = SendGridEmailChannel("SG.key", from_email="cobranza@example.com", host=fake.base_url, timeout_seconds=0.3)
    fake.hang_next(1.0)
    answers = sender.send_many([message(n) for n in range(3)])
    assert all(isinstance(a, ChannelError) and a.outcome == "unknown" for a in answers)
    assert [fake.copies(message(n).idempotency_key) for n in range(3)] == [1, 1, 1]  # it went: reconcile, never resend


def test_the_fake_refuses_substitutions_over_the_documented_limit() -> None:
    body = {
        "from": {"email": "cobranza@example.com"},
        "personalizations": [
            {"to": [{"email": "a@example.mx"}], "subject": "s", "substitutions": {TEXT_TAG: "x" * SUBSTITUTION_BYTES}}
        ],
        "content": [{"type": "text/plain", "value": TEXT_TAG}],
    }
    assert [e["field"] for e in validate_mail_send(body)] == ["personalizations.0.substitutions"]


def test_a_400_naming_one_personalization_fails_that_message_and_the_others_go_in_one_more_request(
    fake: FakeSendGrid,
) -> None:
    sender = channel(fake)
    # The second message repeats the first one's address: SendGrid refuses the request and names
    # personalizations.1; nothing was accepted, so the others go once more, without it.
    messages = [message(0), message(1, to=message(0).to), message(2)]
    answers = sender.send_many(messages)
    assert isinstance(answers[1], ChannelError)
    assert (answers[1].outcome, answers[1].transient) == ("not_sent", False)
    assert "personalizations.1.to" in answers[1].code and "@" not in answers[1].code
    assert isinstance(answers[0], SendResult) and isinstance(answers[2], SendResult)
    assert fake.requests_seen == 2 and len(fake.requests) == 1
    assert [fake.copies(m.idempotency_key) for m in messages] == [1, 0, 1]
