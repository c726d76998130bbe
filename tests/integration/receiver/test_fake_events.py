"""The fake event source: SendGrid-shaped, signed events and Inbound Parse replies about what a
FakeSendGrid accepted, accepted by the receiver and tied back to the outbox rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from receiver_hooks import CUSTOMERS, INBOUND_SECRET, MESSAGES, NOW, Hooks

from cartera.channels.fake_events import Shares, events_for, play, replies_for
from cartera.channels.fake_sendgrid import FakeSendGrid

pytestmark = pytest.mark.integration


def _accepted(hooks: Hooks, tmp_path: Path) -> list[dict[str, object]]:
    """Send our two e-mails through the fake's request handler and point the outbox at its ids."""
    (tmp_path / "eml").mkdir()
    fake = FakeSendGrid(tmp_path / "eml", clock=lambda: NOW)
    for key in ("k-c1-email", "k-c3-email"):
        customer = MESSAGES[key][0]
        payload = {
            "personalizations": [{"to": [{"email": CUSTOMERS[customer][1]}]}],
            "from": {"email": "cobranza@example.com"},
            "subject": "Recordatorio",
            "content": [{"type": "text/plain", "value": "Su saldo"}],
            "custom_args": {"idempotency_key": key, "outbox_id": str(hooks.outbox_ids[key])},
        }
        status, headers, _ = fake.handle_send("Bearer SG.x", json.dumps(payload).encode())
        assert status == 202
        hooks.rows(
            "update ops.outbox set provider_message_id = %s where idempotency_key = %s returning 1",
            (headers["X-Message-Id"], key),
        )
    return fake.messages


def test_events_and_replies_of_the_fake_reach_the_receiver_and_their_messages(hooks: Hooks, tmp_path: Path) -> None:
    messages = _accepted(hooks, tmp_path)
    shares = Shares(bounce=0.0, reply=1.0, open=1.0)
    counts = play("", messages, hooks.key, inbound_secret=INBOUND_SECRET, shares=shares, at=NOW, client=hooks.client)
    assert counts["events_http_204"] == 1 and counts["replies_http_204"] == 2
    events = events_for(messages, shares=shares)
    assert hooks.count("ops.message_events") == len(events) + 2  # + the two inbound replies
    assert hooks.rows("select count(*) from ops.message_events where outbox_id is null") == [(0,)]
    assert {r[0] for r in hooks.rows("select delivery_status from ops.outbox where channel = 'email'")} <= {
        "opened",
        "clicked",
        "spamreport",
        "unsubscribed",
    }
    assert hooks.rows("select matched_by, count(*) from ops.inbound_replies group by 1") == [("in_reply_to", 2)]


def test_the_fake_is_deterministic_by_seed(hooks: Hooks, tmp_path: Path) -> None:
    messages = _accepted(hooks, tmp_path)
    assert events_for(messages, seed=3) == events_for(messages, seed=3)
    assert replies_for(messages, seed=3, shares=Shares(reply=0.5)) == replies_for(
        messages, seed=3, shares=Shares(reply=0.5)
    )
    assert all(e["idempotency_key"] in MESSAGES for e in events_for(messages))
