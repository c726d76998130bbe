"""What a collector does from the command line: explain a customer, record an opt-out or a promise
to pay; the next send respects it at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import psycopg
import pytest
from campaign_inputs import AS_OF, local
from typer.testing import CliRunner

from cartera.campaigns import build_batch, dispatch
from cartera.cli import app

pytestmark = pytest.mark.integration
MORNING = local(2026, 3, 10, 10)


@pytest.fixture
def cli(campaign_dsn: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    from cartera.config import get_settings

    monkeypatch.setenv("CARTERA_DATABASE_URL", campaign_dsn)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_why_lists_each_decision_with_its_rule_and_pack_version(
    cli: CliRunner, campaign_dsn: str, channel_factory: object
) -> None:
    build_batch(campaign_dsn, AS_OF)
    dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)  # type: ignore[arg-type]
    result = cli.invoke(app, ["why", "C1", "--days", "3650", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "build" in result.output and "send" in result.output
    # C1's two steps due that day were one message: one outbox line, no daily-cap deferral.
    assert result.output.count("outbox 2026-03-10") == 1 and "daily_cap" not in result.output
    assert " v2026." in result.output and "outbox 2026-03-10" in result.output
    assert "@example" not in result.output  # ids and reasons, never an address
    nobody = cli.invoke(app, ["why", "NOBODY"])
    assert nobody.exit_code == 2 and "no customer with the id or RFC 'NOBODY'" in nobody.stderr
    quiet = cli.invoke(app, ["why", "C5", "--days", "1"])
    assert quiet.exit_code == 0 and "no contact decision about customer C5" in quiet.output


def test_an_opt_out_and_a_promise_recorded_from_the_cli_hold_the_next_send(
    cli: CliRunner, campaign_dsn: str, channel_factory: object
) -> None:
    build_batch(campaign_dsn, AS_OF)
    assert cli.invoke(app, ["opt-out", "C1", "--channel", "email", "--source", "reply"]).exit_code == 0
    promised = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    result = cli.invoke(app, ["hold", "C4", "--reason", "promise_to_pay", "--until", promised])
    assert result.exit_code == 0, result.output
    bad = cli.invoke(app, ["hold", "C4", "--reason", "because"])
    assert bad.exit_code != 0
    # The CLI stamps holds and opt-outs with the real clock: dispatch at a real instant after them.
    now = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    with psycopg.connect(campaign_dsn) as conn:
        conn.execute("update ops.outbox set not_before = %s where customer_id in ('C1', 'C4')", (now,))
    dispatch(campaign_dsn, now, channel_factory=channel_factory)  # type: ignore[arg-type]
    with psycopg.connect(campaign_dsn) as conn:
        rows = dict(
            conn.execute(
                "select customer_id, string_agg(distinct status || ':' || coalesce(status_reason, ''), ',') "
                "from ops.outbox where customer_id in ('C1', 'C4') group by 1"
            ).fetchall()
        )
    assert rows["C1"] == "cancelled:opted_out"
    assert rows["C4"].startswith("deferred:")  # the first reason may be the hour, where C4 is
    with psycopg.connect(campaign_dsn) as conn:
        (not_before,) = conn.execute("select min(not_before) from ops.outbox where customer_id = 'C4'").fetchone()  # type: ignore[misc]
        (codes,) = conn.execute(
            "select reason_codes from ops.contact_decisions where customer_id = 'C4' and stage = 'send' "
            "order by decided_at desc limit 1"
        ).fetchone()  # type: ignore[misc]
    assert "hold_promise_to_pay" in codes
    assert not_before.date() >= dt.date.fromisoformat(promised)
