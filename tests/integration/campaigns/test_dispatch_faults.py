"""Fault injection on the contact path: a slow, resetting, rate-limiting or failing provider,
a refused key, a dispatch process killed at several points, and its database connection lost.

For every fault: at most one copy per idempotency key reaches the provider, and every row ends
sent, pending (to be sent by the next run) or held for review — none lost, none stuck.
Real Postgres, the real SendGrid SDK over real HTTP to the fake server, real processes.

Every fault runs twice: one request per message, and batched (many personalizations per
request, as production sends): a fault on a batched request touches every message in it."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from campaign_inputs import API_KEY, AS_OF, local

from cartera.campaigns import build_batch, dispatch
from cartera.campaigns.dispatch import DispatchOptions
from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.channels.sendgrid_email import SendGridEmailChannel

pytestmark = pytest.mark.integration

MORNING = local(2026, 3, 10, 10)
WORKER = Path(__file__).with_name("dispatch_worker.py")
FINAL = {"sent", "pending", "deferred", "cancelled", "review"}
MODES = {"per_message": 1, "batched": 1000}  # DispatchOptions.request_size


@pytest.fixture(params=sorted(MODES))
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def options(mode: str, **overrides: Any) -> DispatchOptions:
    settings: dict[str, Any] = {
        "batch_size": 100,
        "company_name": "Ejemplo",
        "reconcile_window": dt.timedelta(minutes=60),
        "request_size": MODES[mode],
        **overrides,
    }
    return DispatchOptions(**settings)


def request_sizes(fake: FakeSendGrid) -> list[int]:
    """Personalizations per accepted request, oldest first."""
    return [len(r["personalizations"]) for r in fake.requests]


def rows(dsn: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute("select * from ops.outbox order by outbox_id").fetchall()


def sender(fake: FakeSendGrid, timeout: float = 5.0) -> Callable[[], SendGridEmailChannel]:
    return lambda: SendGridEmailChannel(
        API_KEY, from_email="cobranza@example.com", host=fake.base_url, timeout_seconds=timeout
    )


def assert_exactly_once(dsn: str, fake: FakeSendGrid) -> None:
    """The promise: ≤ 1 provider copy per key, a copy exactly for each sent row, nothing in limbo."""
    for row in rows(dsn):
        copies = fake.copies(row["idempotency_key"])
        assert copies <= 1, f"outbox_id {row['outbox_id']} reached the provider {copies} times"
        assert row["status"] in FINAL, f"outbox_id {row['outbox_id']} left in {row['status']}"
        if row["status"] == "sent":
            assert copies == 1
        if row["status"] in ("pending", "deferred", "cancelled"):
            assert copies == 0, f"outbox_id {row['outbox_id']} was delivered but is recorded {row['status']}"


def settle(dsn: str, fake: FakeSendGrid, start: dt.datetime, mode: str = "batched") -> None:
    """Later runs, as the hourly schedule would make them: recover, reconcile, send."""
    for minutes in (10, 20, 90):
        dispatch(dsn, start + dt.timedelta(minutes=minutes), channel_factory=sender(fake), options=options(mode))


@pytest.mark.parametrize("fault", ["hang", "reset", "5xx_after_accept"])
def test_a_send_that_may_have_been_accepted_is_reconciled_never_resent(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, fault: str, mode: str
) -> None:
    build_batch(campaign_dsn, AS_OF)
    {
        "hang": lambda: fake_sendgrid.hang_next(1.0, times=2),
        "reset": lambda: fake_sendgrid.reset_next(times=2),
        "5xx_after_accept": lambda: fake_sendgrid.fail_after_accept_next(502, times=2),
    }[fault]()
    first = dispatch(campaign_dsn, MORNING, channel_factory=sender(fake_sendgrid, timeout=0.3), options=options(mode))
    # The first two requests were accepted but never answered: every message in them is unknown.
    in_doubt = sum(request_sizes(fake_sendgrid)[:2])
    assert in_doubt == 2 if mode == "per_message" else in_doubt > 2
    assert (first.unknown, first.sent) == (in_doubt, 5 - in_doubt)
    assert sum(1 for r in rows(campaign_dsn) if r["status"] == "unknown") == in_doubt
    settle(campaign_dsn, fake_sendgrid, MORNING, mode)
    assert sum(1 for r in rows(campaign_dsn) if r["status"] == "sent") == 5
    assert_exactly_once(campaign_dsn, fake_sendgrid)


def test_a_5xx_never_confirmed_is_held_for_review_and_alerted_never_resent(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, mode: str
) -> None:
    build_batch(campaign_dsn, AS_OF)
    fake_sendgrid.fail_next(503)  # refused before queueing, but the client cannot know that
    first = dispatch(campaign_dsn, MORNING, channel_factory=sender(fake_sendgrid), options=options(mode))
    refused = 5 - sum(request_sizes(fake_sendgrid))  # the messages of the first request
    assert refused == 1 if mode == "per_message" else refused > 1
    assert (first.unknown, first.sent) == (refused, 5 - refused)
    within = dispatch(
        campaign_dsn, MORNING + dt.timedelta(minutes=30), channel_factory=sender(fake_sendgrid), options=options(mode)
    )
    assert within.held_for_review == 0
    after = dispatch(
        campaign_dsn, MORNING + dt.timedelta(minutes=61), channel_factory=sender(fake_sendgrid), options=options(mode)
    )
    assert after.held_for_review == refused
    held = [r for r in rows(campaign_dsn) if r["status"] == "review"]
    assert len(held) == refused
    assert all(fake_sendgrid.copies(r["idempotency_key"]) == 0 for r in held)
    with psycopg.connect(campaign_dsn) as conn:
        kinds = {r[0] for r in conn.execute("select kind from ops.alerts").fetchall()}
        outcomes = conn.execute(
            "select outbox_id, outcome from ops.send_attempts where outbox_id = any(%s) order by outbox_id, attempt_no",
            ([r["outbox_id"] for r in held],),
        ).fetchall()
    assert "messages_unconfirmed" in kinds
    assert [o[1] for o in outcomes] == ["not_found"] * refused
    assert_exactly_once(campaign_dsn, fake_sendgrid)


def test_repeated_failures_open_the_circuit_and_the_rest_of_the_batch_waits(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, mode: str
) -> None:
    build_batch(campaign_dsn, AS_OF)
    fake_sendgrid.fail_next(503, times=10)
    first = dispatch(
        campaign_dsn, MORNING, channel_factory=sender(fake_sendgrid), options=options(mode, circuit_threshold=2)
    )
    # Two requests failed (a batched request counts once, however many messages it held).
    assert fake_sendgrid.requests_seen == 2
    assert first.unknown + first.released == 5 and first.released >= 1
    if mode == "per_message":
        assert (first.unknown, first.released) == (2, 3)
    with psycopg.connect(campaign_dsn) as conn:
        (open_until,) = conn.execute("select open_until from ops.provider_circuits").fetchone() or (None,)
    assert open_until is not None and open_until > MORNING


def _worker(dsn: str, fake: FakeSendGrid, now: dt.datetime, mode: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(WORKER.parent)}
    return subprocess.Popen(
        [sys.executable, str(WORKER), dsn, fake.base_url, API_KEY, now.isoformat(), str(MODES[mode])],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition was not reached in time")
        time.sleep(0.05)


def test_a_dispatch_killed_while_its_request_is_in_flight_loses_and_repeats_nothing(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, mode: str
) -> None:
    build_batch(campaign_dsn, AS_OF)
    fake_sendgrid.hang_next(30.0)  # accepted; the process is killed while it waits for the answer
    worker = _worker(campaign_dsn, fake_sendgrid, MORNING, mode)
    try:
        _wait_for(lambda: len(fake_sendgrid.requests) == 1)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        worker.kill()
    stranded = [r for r in rows(campaign_dsn) if r["status"] == "sending"]
    assert stranded, "the killed process left claimed rows behind"
    settle(campaign_dsn, fake_sendgrid, MORNING, mode)
    assert_exactly_once(campaign_dsn, fake_sendgrid)
    assert sum(1 for r in rows(campaign_dsn) if r["status"] == "sent") == 5


def test_a_dispatch_killed_before_its_request_left_sends_that_message_later(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, pg_server_dsn: str, mode: str
) -> None:
    build_batch(campaign_dsn, AS_OF)
    with psycopg.connect(campaign_dsn, autocommit=True) as blocker:
        first = blocker.execute(
            "select customer_id from ops.outbox where not_before <= %s order by not_before, outbox_id limit 1",
            (MORNING,),
        ).fetchone()
        assert first is not None
        blocker.execute("select pg_advisory_lock(hashtextextended(%s, 7))", (f"customer:{first[0]}",))
        worker = _worker(campaign_dsn, fake_sendgrid, MORNING, mode)
        try:
            _wait_for(
                lambda: bool(
                    blocker.execute(
                        "select count(*) from pg_locks where locktype = 'advisory' and not granted"
                    ).fetchone()[0]  # type: ignore[index]
                )
            )
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            worker.kill()
    assert fake_sendgrid.messages == []
    settle(campaign_dsn, fake_sendgrid, MORNING, mode)
    assert_exactly_once(campaign_dsn, fake_sendgrid)
    assert sum(1 for r in rows(campaign_dsn) if r["status"] == "sent") == 5


def test_a_dispatch_that_loses_its_database_after_the_provider_accepted_records_the_send_later(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, mode: str
) -> None:
    build_batch(campaign_dsn, AS_OF)
    fake_sendgrid.hang_next(2.0)
    worker = _worker(campaign_dsn, fake_sendgrid, MORNING, mode)
    try:
        _wait_for(lambda: len(fake_sendgrid.requests) == 1)
        with psycopg.connect(campaign_dsn, autocommit=True) as admin:  # the database restarts under it
            admin.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where datname = current_database() and pid <> pg_backend_pid() and application_name = 'cartera'"
            )
        assert worker.wait(timeout=30) != 0
    finally:
        worker.kill()
    settle(campaign_dsn, fake_sendgrid, MORNING, mode)
    assert_exactly_once(campaign_dsn, fake_sendgrid)
    assert sum(1 for r in rows(campaign_dsn) if r["status"] == "sent") == 5


def test_a_late_run_checks_the_law_at_the_real_instant_and_stamps_it(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, mode: str
) -> None:
    """The run was scheduled for 10:00 but a worker picks it up at 23:30: nothing goes out at
    23:30, and what goes out the next morning says so."""
    build_batch(campaign_dsn, AS_OF)
    instants = iter([local(2026, 3, 10, 23, 30)] * 1000)
    late = dispatch(campaign_dsn, lambda: next(instants), channel_factory=sender(fake_sendgrid), options=options(mode))
    assert late.sent == 0 and late.deferred == 5 and fake_sendgrid.messages == []
    ticks = iter(local(2026, 3, 11, 8) + dt.timedelta(seconds=i) for i in range(1000))
    morning = dispatch(campaign_dsn, lambda: next(ticks), channel_factory=sender(fake_sendgrid), options=options(mode))
    assert morning.sent == 5
    sent = [r for r in rows(campaign_dsn) if r["status"] == "sent"]
    assert all(local(2026, 3, 11, 8) <= r["sent_at"] < local(2026, 3, 11, 8, 1) for r in sent)
    assert len({r["sent_at"] for r in sent}) == 5  # each stamped with its own instant
