"""Champion and challenger on a real Postgres, through `cartera strategy`: a promotion is refused
without a challenger, without enough evidence and with an interval crossing 0; accepted with
evidence, by a named person; every decision audited with its evidence; and the next scheduled
build serves the customers with what was promoted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest
from campaign_inputs import AS_OF, local
from psycopg.rows import dict_row
from typer.testing import CliRunner

from cartera.campaigns.outbox import open_batch
from cartera.cli import app
from cartera.config import get_settings
from cartera.learning import roster
from cartera.tasks import build_batch_for_run

pytestmark = pytest.mark.integration

START = dt.date(2026, 1, 5)
CUSTOMERS = 160
# Days late of a customer's successive invoices: the champion's customers and a challenger that
# collects sooner, or one that collects just the same.
LATE = {"same": [0, 10, 20, 45, 60], "sooner": [0, 0, 2, 5, 10]}
MARTS_DDL = """
create table if not exists marts.fct_invoices (
    invoice_id text primary key, customer_id text, issue_date date, due_date date, total_amount numeric(18, 2),
    total_amount_mxn numeric(18, 2), open_amount_mxn numeric(18, 2), settled_date date
);
create table if not exists marts.fct_payment_allocations (
    allocation_id text primary key, invoice_id text, allocation_date date, amount numeric(18, 2)
);
"""


def _book(dsn: str, challenger_late: str) -> dict[str, int]:
    """Customers K000.. assigned to the running roster's arms (as a build would), each with an
    invoice issued every 10 days from 40 days before START, due in 30 days, paid late as LATE says
    (the challenger's customers as `challenger_late`), and 3 messages each; returns customers per arm."""
    with psycopg.connect(dsn) as conn:
        conn.execute(MARTS_DDL)
        now = roster.current(conn)
        batch = open_batch(conn, START, "2026-02", local(2026, 1, 5, 9))
        counts: dict[str, int] = {}
        for k in range(CUSTOMERS):
            customer = f"K{k:03d}"
            arm, strategy = now.arm_of(customer)
            counts[arm] = counts.get(arm, 0) + 1
            conn.execute(
                "insert into ops.strategy_assignments values (%s, %s, %s, %s, %s, %s, %s)",
                (now.experiment, customer, arm, strategy, "chronic", START, local(2026, 1, 5, 9)),
            )
            lates = LATE[challenger_late if arm == "challenger" else "same"]
            for n, issue in enumerate(START - dt.timedelta(days=40) + dt.timedelta(days=10 * j) for j in range(11)):
                due, invoice = issue + dt.timedelta(days=30), f"{customer}-{n}"
                paid = due + dt.timedelta(days=lates[(k + n) % len(lates)])
                settled = paid if paid <= AS_OF else None
                conn.execute(
                    "insert into marts.fct_invoices values (%s, %s, %s, %s, 10000, 10000, %s, %s)",
                    (invoice, customer, issue, due, 0 if settled else 10000, settled),
                )
                if settled:
                    conn.execute(
                        "insert into marts.fct_payment_allocations values (%s, %s, %s, 10000)",
                        (f"A-{invoice}", invoice, paid),
                    )
            for m in range(3):
                at = local(2026, 1, 5, 10)
                conn.execute(
                    "insert into ops.outbox (idempotency_key, batch_id, as_of_date, customer_id, invoice_ids, step, "
                    "template, tone, channel, status, not_before, created_at, sent_at, updated_at) values "
                    "(%s, %s, %s, %s, array['x'], 'recordatorio', 'recordatorio_vencido', 'amable', 'email', 'sent', "
                    "%s, %s, %s, %s)",
                    (f"{customer}-m{m}", batch, START, customer, at, at, at, at),
                )
    return counts


def _decisions(dsn: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("select * from ops.strategy_decisions order by decision_id").fetchall()


@pytest.fixture
def cli(campaign_dsn: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CARTERA_DATABASE_URL", campaign_dsn)
    monkeypatch.delenv("CARTERA_STRATEGY", raising=False)  # the default: the roster people decided
    get_settings.cache_clear()
    return CliRunner()


def _promote(cli: CliRunner, *extra: str) -> Any:
    return cli.invoke(app, ["strategy", "promote", "--by", "Ana López", "--as-of", AS_OF.isoformat(), *extra])


def test_a_promotion_needs_a_challenger_enough_customers_and_a_named_person(cli: CliRunner, campaign_dsn: str) -> None:
    nothing = _promote(cli)
    assert nothing.exit_code == 2 and "refused: no challenger is running" in nothing.output
    account = cli.invoke(app, ["strategy", "challenge", "learned", "--by", "root"])  # an account, not a name
    assert account.exit_code == 2
    assert cli.invoke(app, ["strategy", "challenge", "learned"]).exit_code == 2  # --by is required
    started = cli.invoke(app, ["strategy", "challenge", "learned", "--by", "Ana López", "--share", "0.5"])
    assert started.exit_code == 0, started.output
    early = _promote(cli)  # the challenger has served nobody yet
    assert early.exit_code == 2 and "not enough evidence" in early.output

    rows = _decisions(campaign_dsn)
    assert [(r["action"], r["attempted"]) for r in rows] == [
        ("refused", "promote"),
        ("challenge", None),
        ("refused", "promote"),
    ]
    assert {r["decided_by"] for r in rows} == {"Ana López"} and rows[1]["challenger_share"] == 0.5
    with psycopg.connect(campaign_dsn) as conn:
        assert roster.current(conn).champion == "fixed"


def test_a_challenger_that_collects_just_the_same_is_not_promoted(cli: CliRunner, campaign_dsn: str) -> None:
    cli.invoke(app, ["strategy", "challenge", "learned", "--by", "Ana López", "--share", "0.5"])
    counts = _book(campaign_dsn, "same")
    assert min(counts["challenger"], counts["champion"]) >= 50

    refused = _promote(cli, "--metric", "dso")
    assert refused.exit_code == 2 and "does not clear" in refused.output, refused.output
    (last,) = [r for r in _decisions(campaign_dsn) if r["action"] == "refused"]
    dso = last["evidence"]["uplift"]["dso"]
    assert dso["rel_low"] < 0 < dso["rel_high"]  # the interval crosses 0: kept as the evidence of the refusal
    with psycopg.connect(campaign_dsn) as conn:
        assert roster.current(conn).champion == "fixed"


def test_a_challenger_that_collects_sooner_is_promoted_and_the_next_build_uses_it(
    cli: CliRunner, campaign_dsn: str
) -> None:
    cli.invoke(app, ["strategy", "challenge", "learned", "--by", "Ana López", "--share", "0.5"])
    _book(campaign_dsn, "sooner")
    too_much = _promote(cli, "--metric", "dso", "--min-improvement", "0.9")
    assert too_much.exit_code == 2 and "does not clear" in too_much.output

    promoted = _promote(cli, "--metric", "dso", "--min-improvement", "0.05", "--note", "eight weeks of evidence")
    assert promoted.exit_code == 0, promoted.output
    assert "accepted: learned replaces fixed: dso" in promoted.output
    audit = _decisions(campaign_dsn)[-1]
    assert (audit["action"], audit["strategy"], audit["champion_before"], audit["metric"]) == (
        "promote", "learned", "fixed", "dso",
    )  # fmt: skip
    assert audit["decided_by"] == "Ana López" and audit["note"] == "eight weeks of evidence"
    assert audit["evidence"]["uplift"]["dso"]["rel_high"] < -0.05 and audit["decided_at"] is not None
    with psycopg.connect(campaign_dsn) as conn:
        now = roster.current(conn)
    assert (now.champion, now.challenger) == ("learned", None)

    # The next scheduled build serves everyone outside the control group with the learned strategy.
    build_batch_for_run(AS_OF.isoformat(), {"logical_date": local(2026, 3, 10, 9), "params": {"as_of": "2026-03-10"}})
    with psycopg.connect(campaign_dsn) as conn:
        groups = dict(conn.execute("select customer_id, grp from ops.learner_decisions").fetchall())
        arms = dict(
            conn.execute(
                "select customer_id, arm || ':' || strategy from ops.strategy_assignments where experiment = %s",
                (now.experiment,),
            ).fetchall()
        )
    assert groups and {c: g for c, g in groups.items() if g != "control"} == dict.fromkeys(
        [c for c in groups if c != "C2"], "learner"
    )
    assert arms["C2"] == "control:fixed" and arms["C1"] == "champion:learned"
    shown = cli.invoke(app, ["strategy", "history"])
    assert "promote learned" in shown.output and "Ana López" in shown.output


def test_while_a_challenger_runs_only_its_customers_get_the_learned_strategy(cli: CliRunner, campaign_dsn: str) -> None:
    cli.invoke(app, ["strategy", "challenge", "learned", "--by", "Ana López", "--share", "0.5"])
    build_batch_for_run(AS_OF.isoformat(), {"logical_date": local(2026, 3, 10, 9), "params": {"as_of": "2026-03-10"}})
    with psycopg.connect(campaign_dsn) as conn:
        now = roster.current(conn)
        decided = {r[0] for r in conn.execute("select customer_id from ops.learner_decisions").fetchall()}
        assigned = dict(conn.execute("select customer_id, arm from ops.strategy_assignments").fetchall())
    expected = {c for c in assigned if now.arm_of(c)[0] in ("challenger", "control")}
    assert decided == expected and assigned == {c: now.arm_of(c)[0] for c in assigned}
    assert cli.invoke(app, ["strategy", "reject", "--by", "Ana López"]).exit_code == 0
    with psycopg.connect(campaign_dsn) as conn:
        assert roster.current(conn).challenger is None
