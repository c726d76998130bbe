"""A message nobody could confirm waits for a person: `cartera outbox list` shows it, `release`
sends it once more (the law checked again), `confirm-sent` records that it went; anything not in
review is refused with status 2 and nothing changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest
from campaign_inputs import AS_OF, local
from typer.testing import CliRunner

from cartera.campaigns import build_batch, dispatch
from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.cli import app

pytestmark = pytest.mark.integration
MORNING = local(2026, 3, 10, 10)


def _rows(dsn: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute("select * from ops.outbox order by outbox_id").fetchall()


def _two_in_review(dsn: str, fake: FakeSendGrid, channel_factory: Any) -> list[int]:
    build_batch(dsn, AS_OF)
    fake.fail_next(503, times=2)
    dispatch(dsn, MORNING, channel_factory=channel_factory)
    dispatch(dsn, MORNING + dt.timedelta(minutes=61), channel_factory=channel_factory)
    held = [r["outbox_id"] for r in _rows(dsn) if r["status"] == "review"]
    assert len(held) >= 2  # two refused requests: more when a request carried several messages
    return held[:2]


@pytest.fixture
def cli(campaign_dsn: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    from cartera.config import get_settings

    monkeypatch.setenv("CARTERA_DATABASE_URL", campaign_dsn)
    get_settings.cache_clear()
    return CliRunner()


def test_release_sends_a_reviewed_message_once_and_confirm_records_the_other(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: Any, cli: CliRunner
) -> None:
    released, confirmed = _two_in_review(campaign_dsn, fake_sendgrid, channel_factory)
    listed = cli.invoke(app, ["outbox", "list"])
    assert listed.exit_code == 0 and f"{released} " in listed.output and f"{confirmed} " in listed.output
    assert "@" not in listed.output  # ids, not addresses

    assert cli.invoke(app, ["outbox", "release", str(released)]).exit_code == 0
    assert cli.invoke(app, ["outbox", "confirm-sent", str(confirmed)]).exit_code == 0
    summary = dispatch(campaign_dsn, MORNING + dt.timedelta(minutes=70), channel_factory=channel_factory)
    rows = {r["outbox_id"]: r for r in _rows(campaign_dsn)}
    assert summary.sent == 1 and rows[released]["status"] == "sent"
    assert fake_sendgrid.copies(rows[released]["idempotency_key"]) == 1
    assert rows[confirmed]["status"] == "sent" and rows[confirmed]["status_reason"].startswith("confirmed_sent_by:")
    assert fake_sendgrid.copies(rows[confirmed]["idempotency_key"]) == 0  # recorded, not resent


@pytest.mark.parametrize("args", [["outbox", "release", "999999"], ["outbox", "confirm-sent", "0"],
                                  ["outbox", "release", "abc"], ["outbox", "list", "--status", "sent"]])  # fmt: skip
def test_anything_not_in_review_is_refused_and_nothing_changes(
    campaign_dsn: str, cli: CliRunner, args: list[str]
) -> None:
    build_batch(campaign_dsn, AS_OF)
    before = _rows(campaign_dsn)
    result = cli.invoke(app, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert _rows(campaign_dsn) == before
