"""A collector's commands fail closed: a customer or an invoice that the warehouse does not know,
knows twice, or knows as another customer's is refused with status 2 and nothing is written;
hostile arguments never end in a traceback. Customers resolve by internal id or RFC, invoices
by internal id or the folio printed on the invoice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import psycopg
import pytest
from campaign_inputs import seed_inputs
from typer.testing import CliRunner

from cartera.cli import app
from cartera.run_dates import BOOKS_TZ

pytestmark = pytest.mark.integration

# RFCs of the seeded customers (C2 and C3 share one: two companies of a group, say).
RFCS = {"C1": "CEJ010101AB1", "C2": "GRU020202CD2", "C3": "GRU020202CD2", "C4": "EXP040404EF4"}
FOLIO = "INV/2026/07198"  # I6, C4's: the folio as printed on the e-mails


def _promise(days: int = 3) -> str:
    return (dt.datetime.now(BOOKS_TZ).date() + dt.timedelta(days=days)).isoformat()


def _add_rfcs_and_folios(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        for customer_id, rfc in RFCS.items():
            conn.execute("update marts.dim_customers set rfc = %s where customer_id = %s", (rfc, customer_id))
        conn.execute("update marts.fct_open_items set invoice_number = %s where invoice_id = 'I6'", (FOLIO,))
        # The same folio at two customers (two series that collide): only the customer tells them apart.
        conn.execute("update marts.fct_open_items set invoice_number = 'F-0001' where invoice_id = 'I9'")


@pytest.fixture
def warehouse(campaign_dsn: str) -> str:
    """The campaigns' warehouse (marts built) with RFCs and a printed folio, for one test."""
    _add_rfcs_and_folios(campaign_dsn)
    return campaign_dsn


@pytest.fixture(scope="module")
def shared_warehouse(pg_server_dsn: str) -> Iterator[str]:
    """The same, shared by the refusals: they write nothing (and check it)."""
    from cartera.db import scratch_database

    with scratch_database(pg_server_dsn, "cartera_t") as dsn:
        seed_inputs(dsn)
        _add_rfcs_and_folios(dsn)
        yield dsn


def _runner_on(dsn: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    from cartera.config import get_settings

    monkeypatch.setenv("CARTERA_DATABASE_URL", dsn)
    monkeypatch.delenv("CARTERA_DEBUG", raising=False)
    get_settings.cache_clear()
    return CliRunner()


@pytest.fixture
def cli(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    from cartera.config import get_settings

    yield _runner_on(warehouse, monkeypatch)
    get_settings.cache_clear()


@pytest.fixture
def shared_cli(shared_warehouse: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    from cartera.config import get_settings

    yield _runner_on(shared_warehouse, monkeypatch)
    get_settings.cache_clear()


def _written(dsn: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with psycopg.connect(dsn) as conn:
        holds = conn.execute(
            "select customer_id, invoice_id, reason, until, note from ops.holds order by 1, 2"
        ).fetchall()
        opt_outs = conn.execute("select customer_id, channel, source from ops.opt_outs order by 1, 2").fetchall()
    return holds, opt_outs


REFUSED = {
    "opt-out: an unknown id": (["opt-out", "C99"], "no customer with the id or RFC 'C99'"),
    "opt-out: an id with a space inside": (["opt-out", "C 1"], "no customer with the id or RFC 'C 1'"),
    "opt-out: an id in the wrong case": (["opt-out", "c1"], "no customer with the id or RFC 'c1'"),
    "opt-out: an empty id": (["opt-out", "   "], "the customer reference is empty"),
    "opt-out: an unknown RFC": (["opt-out", "ZZZ991231ZZ9"], "no customer with the id or RFC given as an RFC"),
    "opt-out: an RFC two customers share": (["opt-out", RFCS["C2"]], "matches 2 customers"),
    "opt-out: a very long id": (["opt-out", "C1" * 5_000], "10000 characters long"),
    "opt-out: an id with a newline inside": (["opt-out", "C1\nC2"], "control characters"),
    "opt-out: an id with a tab inside": (["opt-out", "C1\tx"], "control characters"),
    "opt-out: an id with a NUL byte": (["opt-out", "C1\x00"], "NUL byte"),
    "opt-out: SQL for an id": (["opt-out", "C1' or '1'='1"], "no customer with the id or RFC"),
    "hold: an unknown customer": (["hold", "C99", "--reason", "dispute"], "no customer with the id or RFC 'C99'"),
    "hold: an unknown invoice": (
        ["hold", "C4", "--reason", "dispute", "--invoice", "I99"],
        "no invoice with the id or folio 'I99'",
    ),
    "hold: another customer's invoice by id": (
        ["hold", "C4", "--reason", "dispute", "--invoice", "I1"],
        "the invoice 'I1' is not an invoice of customer 'C4'",
    ),
    "hold: another customer's invoice by folio": (
        ["hold", "C1", "--reason", "promise_to_pay", "--invoice", FOLIO, "--until", _promise()],
        f"the invoice '{FOLIO}' is not an invoice of customer 'C1'",
    ),
    "hold: a folio with a space inside": (
        ["hold", "C4", "--reason", "dispute", "--invoice", "INV/2026/ 07198"],
        "no invoice with the id or folio",
    ),
    "hold: an invoice with a NUL byte": (["hold", "C4", "--reason", "dispute", "--invoice", "I6\x00"], "NUL byte"),
    "hold: a very long invoice": (["hold", "C4", "--reason", "dispute", "--invoice", "I" * 100_000], "characters long"),
    "hold: an absurd promise": (
        ["hold", "C4", "--reason", "promise_to_pay", "--until", "9999-12-31"],
        "out of range",
    ),
    "hold: a malformed promise": (["hold", "C4", "--reason", "promise_to_pay", "--until", "2026-3-5"], "YYYY-MM-DD"),
    "hold: an unknown reason": (["hold", "C4", "--reason", "porque sí"], "'--reason'"),
    "opt-out: an unknown channel": (["opt-out", "C1", "--channel", "fax"], "'--channel'"),
    "why: an unknown customer": (["why", "C99"], "no customer with the id or RFC 'C99'"),
    "why: an RFC two customers share": (["why", RFCS["C3"].lower()], "matches 2 customers"),
    "why: absurd days": (["why", "C1", "--days", "100000000"], "'--days'"),
    "why: an unknown language": (["why", "C1", "--lang", "klingon"], "'--lang'"),
}


@pytest.mark.parametrize(("args", "message"), list(REFUSED.values()), ids=list(REFUSED))
def test_a_reference_the_warehouse_does_not_resolve_is_refused_with_status_2_and_nothing_written(
    args: list[str], message: str, shared_cli: CliRunner, shared_warehouse: str
) -> None:
    before = _written(shared_warehouse)
    result = shared_cli.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output and "opted out" not in result.output and "opened" not in result.output
    assert _written(shared_warehouse) == before


def test_a_refusal_never_echoes_an_rfc_or_a_name(shared_cli: CliRunner) -> None:
    for args in (["opt-out", RFCS["C2"]], ["opt-out", "zzz991231zz9"], ["why", RFCS["C3"]]):
        result = shared_cli.invoke(app, args)
        assert result.exit_code == 2
        assert "GRU020202CD2" not in result.output.upper() and "ZZZ991231ZZ9" not in result.output.upper()
        assert "Cliente" not in result.output


def test_an_opt_out_by_rfc_in_any_case_with_spaces_records_the_internal_id(cli: CliRunner, warehouse: str) -> None:
    result = cli.invoke(app, ["opt-out", f"  {RFCS['C1'].lower()} ", "--channel", "email", "--source", "call"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "customer C1 opted out of email"  # the id, never the RFC
    assert _written(warehouse)[1] == [("C1", "email", "call")]


def test_an_id_with_surrounding_spaces_is_the_customer_not_a_new_one(cli: CliRunner, warehouse: str) -> None:
    assert cli.invoke(app, ["opt-out", " C6 "]).exit_code == 0
    assert _written(warehouse)[1] == [("C6", "all", "manual")]


def test_a_hold_by_the_printed_folio_records_the_internal_invoice_id(cli: CliRunner, warehouse: str) -> None:
    until = _promise(5)
    result = cli.invoke(
        app, ["hold", RFCS["C4"], "--reason", "promise_to_pay", "--invoice", FOLIO.lower(), "--until", until]
    )
    assert result.exit_code == 0, result.output
    assert "opened for customer C4, invoice I6" in result.stdout
    promised = dt.datetime.combine(dt.date.fromisoformat(until) + dt.timedelta(days=1), dt.time(0), tzinfo=BOOKS_TZ)
    assert ("C4", "I6", "promise_to_pay", promised, None) in _written(warehouse)[0]


def test_a_folio_two_customers_share_resolves_within_the_customer_named(cli: CliRunner, warehouse: str) -> None:
    mine = cli.invoke(app, ["hold", "C5", "--reason", "dispute", "--invoice", "F-0001", "--note", "factura 2026-03"])
    assert mine.exit_code == 0, mine.output
    assert ("C5", "I9", "dispute", None, "factura 2026-03") in _written(warehouse)[0]


def test_why_resolves_an_rfc_to_the_customer(cli: CliRunner) -> None:
    result = cli.invoke(app, ["why", RFCS["C4"], "--days", "1"])
    assert result.exit_code == 0, result.output
    assert "customer C4" in result.output and RFCS["C4"] not in result.output


def test_without_marts_references_resolve_against_the_latest_raw_versions(
    fresh_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cartera.config import get_settings

    with psycopg.connect(fresh_db) as conn:
        for load, (rfc, updated) in enumerate([("OLD010101AA1", "2026-01-01"), ("NEW020202BB2", "2026-02-01")]):
            conn.execute(
                "insert into raw.customers (load_id, source, customer_id, customer_name, rfc, updated_at) "
                "values (%s, 'erp', 'K1', 'Cliente K1', %s, %s)",
                (f"l{load}", rfc, updated),
            )
        conn.execute(
            "insert into raw.invoices (load_id, source, invoice_id, invoice_number, customer_id, updated_at) "
            "values ('l0', 'erp', 'V1', 'A-100', 'K1', '2026-01-01'), ('l0', 'erp', 'V2', 'A-200', 'K2', '2026-01-01')"
        )
    monkeypatch.setenv("CARTERA_DATABASE_URL", fresh_db)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        old = runner.invoke(app, ["opt-out", "OLD010101AA1"])
        assert old.exit_code == 2 and "no customer" in old.stderr  # an RFC the customer no longer has
        assert runner.invoke(app, ["opt-out", "new020202bb2"]).exit_code == 0
        assert runner.invoke(app, ["hold", "K1", "--reason", "legal", "--invoice", "A-100"]).exit_code == 0
        theirs = runner.invoke(app, ["hold", "K1", "--reason", "legal", "--invoice", "A-200"])
        assert theirs.exit_code == 2 and "not an invoice of customer 'K1'" in theirs.stderr
    finally:
        get_settings.cache_clear()
    assert _written(fresh_db) == ([("K1", "V1", "legal", None, None)], [("K1", "all", "manual")])


def test_without_any_customer_table_the_command_says_what_to_run_with_status_1(
    fresh_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cartera.config import get_settings

    with psycopg.connect(fresh_db) as conn:
        conn.execute("drop table raw.customers")
    monkeypatch.setenv("CARTERA_DATABASE_URL", fresh_db)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["opt-out", "C1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1 and "cartera db init" in result.stderr and "Traceback" not in result.output


def test_the_fixture_seeds_what_the_refusals_rely_on(shared_warehouse: str) -> None:
    # Guards the table above: C4 owns I6 (the printed folio), C1 owns I1, and F-0001 is at C1 and C5.
    with psycopg.connect(shared_warehouse) as conn:
        rows = set(conn.execute("select invoice_id, invoice_number, customer_id from marts.fct_open_items").fetchall())
    assert {("I6", FOLIO, "C4"), ("I1", "F-0001", "C1"), ("I9", "F-0001", "C5")} <= rows
