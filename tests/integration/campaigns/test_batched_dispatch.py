"""Batched dispatch end to end: many personalizations per SendGrid request, each message with
its own key, body and instant; and a dispatcher that died after preparing its attempts but
before making their request sends nothing twice and loses nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from campaign_inputs import AS_OF, INVOICES, local

from cartera.campaigns import attempts, build_batch, dispatch, outbox
from cartera.campaigns.dispatch import DispatchOptions
from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.channels.sendgrid_email import HTML_TAG, TEXT_TAG, SendGridEmailChannel

pytestmark = pytest.mark.integration

MORNING = local(2026, 3, 10, 10)
BATCHED = DispatchOptions(batch_size=100, company_name="Ejemplo", request_size=1000)


def rows(dsn: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute("select * from ops.outbox order by outbox_id").fetchall()


def test_a_batched_request_carries_one_personalization_per_message_with_its_own_key_and_body(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: Callable[[], SendGridEmailChannel]
) -> None:
    build_batch(campaign_dsn, AS_OF)
    ticks = iter(MORNING + dt.timedelta(seconds=i) for i in range(1000))
    summary = dispatch(campaign_dsn, lambda: next(ticks), channel_factory=channel_factory, options=BATCHED)

    sent = {r["idempotency_key"]: r for r in rows(campaign_dsn) if r["status"] == "sent"}
    assert summary.sent == len(sent) == 5
    requests = fake_sendgrid.requests
    assert len(requests) < 5  # messages shared requests
    shared = [r for r in requests if len(r["personalizations"]) > 1]
    assert shared and sum(len(r["personalizations"]) for r in requests) == 5
    for request in shared:  # one content of placeholders; each personalization its own body
        assert [b["value"] for b in request["content"]] == [TEXT_TAG, HTML_TAG]
    for p in [p for r in shared for p in r["personalizations"]]:
        row = sent[p["custom_args"]["idempotency_key"]]
        assert p["custom_args"]["outbox_id"] == str(row["outbox_id"])
        numbers = {INVOICES[i][1] for i in row["invoice_ids"]}
        body = p["substitutions"][TEXT_TAG]
        assert all(number in body for number in numbers)  # its own statement, nobody else's
        others = {INVOICES[i][1] for i in INVOICES if INVOICES[i][0] != row["customer_id"]}
        assert not any(number in body for number in others)
        assert fake_sendgrid.copies(row["idempotency_key"]) == 1
    # Each message is stamped with its own instant of the law, not the request's.
    assert len({r["sent_at"] for r in sent.values()}) == 5
    assert {r["provider_message_id"] for r in sent.values()} <= {c["message_id"] for c in fake_sendgrid.messages}


def test_attempts_prepared_by_a_dispatcher_that_died_before_the_request_go_back_pending_and_are_sent_once(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: Callable[[], SendGridEmailChannel]
) -> None:
    build_batch(campaign_dsn, AS_OF)
    with psycopg.connect(campaign_dsn) as conn:  # what a dispatcher did before it died
        claimed = outbox.claim_due(conn, MORNING, limit=100, max_attempts=3)
        attempts.start_many(
            conn,
            [attempts.AttemptStart(r.outbox_id, r.idempotency_key, r.channel, MORNING, None) for r in claimed],
            provider="sendgrid",
            dispatcher="dead:1",
        )
        conn.commit()
    assert len(claimed) == 5

    later = dispatch(campaign_dsn, MORNING + dt.timedelta(minutes=10), channel_factory=channel_factory, options=BATCHED)
    assert (later.reclaimed, later.sent, later.unknown) == (5, 5, 0)
    for row in rows(campaign_dsn):
        assert row["status"] == "sent" and fake_sendgrid.copies(row["idempotency_key"]) == 1
    with psycopg.connect(campaign_dsn) as conn:
        outcomes = conn.execute(
            "select outcome, error_code, count(*) from ops.send_attempts group by 1, 2 order by 1"
        ).fetchall()
    assert outcomes == [("accepted", None, 5), ("not_sent", "lease_expired_before_request", 5)]


def test_a_batch_rendered_ahead_is_sent_as_the_data_read_under_the_locks_says(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: Callable[[], SendGridEmailChannel]
) -> None:
    """With render workers, the next batch is claimed and rendered before this one is decided;
    data that changes in between (here every open amount, while the first request is in flight)
    is what the later messages say, never the guess rendered ahead."""
    build_batch(campaign_dsn, AS_OF)
    channel = channel_factory()
    decided_before: set[str] = set()

    def change_amounts_at_the_first_request(send: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def sending(messages: Any) -> Any:
            if not decided_before:
                with psycopg.connect(campaign_dsn) as conn:
                    keys = conn.execute("select distinct idempotency_key from ops.send_attempts").fetchall()
                    decided_before.update(k for (k,) in keys)
                    conn.execute("update marts.fct_open_items set open_amount = 4321.09, open_amount_mxn = 4321.09")
            return send(messages)

        return sending

    channel.send = change_amounts_at_the_first_request(channel.send)  # type: ignore[method-assign]
    channel.send_many = change_amounts_at_the_first_request(channel.send_many)  # type: ignore[method-assign]
    ahead = DispatchOptions(batch_size=2, company_name="Ejemplo", request_size=1000, render_workers=2, prerender_from=0)
    ticks = iter(MORNING + dt.timedelta(seconds=i) for i in range(1000))
    summary = dispatch(campaign_dsn, lambda: next(ticks), channel_factory=lambda: channel, options=ahead)

    sent = {r["idempotency_key"]: r for r in rows(campaign_dsn)}
    assert summary.sent == len(sent) == 5 and 0 < len(decided_before) <= 2  # the first batch of two
    bodies = {m["request"]["custom_args"]["idempotency_key"]: m["request"]["content"][0]["value"]
              for m in fake_sendgrid.messages}  # fmt: skip
    for key, row in sent.items():
        body = bodies[key]
        if key in decided_before:
            assert "4,321.09" not in body
        else:  # decided after the change: every invoice at its new amount, none at its old one
            assert body.count("4,321.09") >= len(row["invoice_ids"])
            assert all(f"{float(INVOICES[i][3]):,.2f}" not in body for i in row["invoice_ids"])
        assert row["status"] == "sent" and fake_sendgrid.copies(key) == 1


def test_progress_is_logged_every_so_many_claimed_rows_with_counts_only(
    campaign_dsn: str,
    fake_sendgrid: FakeSendGrid,
    channel_factory: Callable[[], SendGridEmailChannel],
    caplog: pytest.LogCaptureFixture,
) -> None:
    build_batch(campaign_dsn, AS_OF)
    every_two = DispatchOptions(batch_size=2, company_name="Ejemplo", progress_every=2)
    with caplog.at_level("INFO"):
        dispatch(campaign_dsn, MORNING, channel_factory=channel_factory, options=every_two)

    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("dispatch progress")]
    counts = r"[\d,]+ messages/s, .* left; sent=\d+ cancelled=\d+ deferred=\d+ failed=\d+ unknown=\d+"
    assert len(lines) == 2
    assert re.fullmatch(r"dispatch progress: dispatch claimed: 2/5 \(40 %\), " + counts, lines[0])
    assert re.fullmatch(r"dispatch progress: dispatch claimed: 4/5 \(80 %\), " + counts, lines[1])
    assert any(r.getMessage().startswith("dispatch claimed: 5/5 (100 %)") for r in caplog.records)  # the last line
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "@" not in logged and "Contacto" not in logged and "F-00" not in logged  # counts only
