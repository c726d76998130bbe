"""The generator writes a consistent, deterministic ERP into a real Postgres, once per parameters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from cartera.errors import ConfigurationError
from cartera.synthetic import GenerationSummary, generate
from cartera.synthetic.schema import COLUMNS

pytestmark = pytest.mark.integration

AS_OF = dt.date(2026, 3, 31)
SMALL = {"seed": 11, "customers": 40, "months": 6, "as_of": AS_OF}


def _checksum(dsn: str, schema: str = "erp") -> dict[str, str]:
    """md5 of every table's rows in id order (timestamps rendered in UTC)."""
    with psycopg.connect(dsn) as conn:
        conn.execute("set timezone = 'UTC'")
        return {
            table: conn.execute(
                sql.SQL("select md5(string_agg(t::text, '|' order by t.id)) from {}.{} t").format(
                    sql.Identifier(schema), sql.Identifier(table)
                )
            ).fetchone()[0]  # type: ignore[index]
            for table in COLUMNS
        }


def _scalar(dsn: str, query: str) -> object:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query).fetchone()[0]  # type: ignore[index]


def test_same_seed_writes_the_same_rows_in_two_schemas(fresh_db: str) -> None:
    first = generate(fresh_db, **SMALL)  # type: ignore[arg-type]
    checksum = _checksum(fresh_db)
    second = generate(fresh_db, schema="erp_copy", **SMALL)  # type: ignore[arg-type]
    assert first.counts == second.counts
    assert _checksum(fresh_db, "erp_copy") == checksum
    assert all(count > 0 for count in first.counts.values())


def test_rerun_with_the_same_parameters_writes_nothing(fresh_db: str) -> None:
    first = generate(fresh_db, **SMALL)  # type: ignore[arg-type]
    xmin = _scalar(fresh_db, "select max(xmin::text::bigint) from erp.account_move")
    again = generate(fresh_db, **SMALL)  # type: ignore[arg-type]
    assert again.reused and not first.reused
    assert again == first
    assert _scalar(fresh_db, "select max(xmin::text::bigint) from erp.account_move") == xmin


def test_other_parameters_or_replace_rebuild_the_schema(fresh_db: str) -> None:
    generate(fresh_db, **SMALL)  # type: ignore[arg-type]
    bigger = generate(fresh_db, **{**SMALL, "customers": 45})  # type: ignore[arg-type]
    assert not bigger.reused
    assert _scalar(fresh_db, "select count(*) from erp.res_partner") == 45
    replaced = generate(fresh_db, **{**SMALL, "customers": 45}, replace=True)  # type: ignore[arg-type]
    assert not replaced.reused and replaced == bigger


def test_a_schema_the_generator_did_not_write_is_never_dropped(fresh_db: str) -> None:
    with psycopg.connect(fresh_db) as conn:
        conn.execute("create schema erp; create table erp.res_partner (id integer)")
    with pytest.raises(ConfigurationError, match="did not write"):
        generate(fresh_db, **SMALL)  # type: ignore[arg-type]
    assert _scalar(fresh_db, "select count(*) from information_schema.tables where table_schema = 'erp'") == 1


def test_a_failed_generation_leaves_the_previous_one_intact(fresh_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(fresh_db, **SMALL)  # type: ignore[arg-type]
    before = _checksum(fresh_db)

    def broken(schema: str) -> list[sql.Composed]:
        raise RuntimeError("disk full")

    monkeypatch.setattr("cartera.synthetic.writer.add_constraints_and_indexes", broken)
    with pytest.raises(RuntimeError):
        generate(fresh_db, **{**SMALL, "seed": 12})  # type: ignore[arg-type]
    assert _checksum(fresh_db) == before
    assert _scalar(fresh_db, "select seed from erp.generation_info") == 11


def test_nothing_is_dated_or_written_after_as_of(fresh_db: str) -> None:
    generate(fresh_db, **SMALL)  # type: ignore[arg-type]
    end_of_day = "timestamptz '2026-03-31 23:59:59+00'"
    for table in COLUMNS:
        assert (
            _scalar(
                fresh_db,
                f"select count(*) from erp.{table} where write_date > {end_of_day} or create_date > write_date",
            )
            == 0
        ), table
    assert _scalar(fresh_db, "select count(*) from erp.account_payment where date > date '2026-03-31'") == 0
    assert (
        _scalar(fresh_db, "select count(*) from erp.account_partial_reconcile where max_date > date '2026-03-31'") == 0
    )
    assert _scalar(fresh_db, "select count(*) from erp.account_move where invoice_date > date '2026-03-31'") == 0
    assert (
        _scalar(
            fresh_db,
            "select count(*) from erp.collection_dispute where coalesce(resolved_date, opened_date) > date '2026-03-31'",
        )
        == 0
    )
    assert _scalar(fresh_db, "select max(name) from erp.res_currency_rate") == AS_OF


def test_payment_allocations_never_exceed_their_payment(fresh_db: str) -> None:
    generate(fresh_db, **SMALL)  # type: ignore[arg-type]
    assert (
        _scalar(
            fresh_db,
            """
        select count(*) from erp.account_payment p
        join (select payment_id, sum(amount) allocated from erp.account_partial_reconcile group by 1) a on a.payment_id = p.id
        where a.allocated > p.amount or p.state <> 'posted'""",
        )
        == 0
    )


def test_allocations_plus_credit_notes_never_exceed_an_invoice_total(fresh_db: str) -> None:
    generate(fresh_db, **SMALL)  # type: ignore[arg-type]
    assert (
        _scalar(
            fresh_db,
            """
        with settled as (
            select invoice_id, amount from erp.account_partial_reconcile
            union all
            select reversed_entry_id, amount_total from erp.account_move where move_type = 'out_refund'
        )
        select count(*) from erp.account_move m join (select invoice_id, sum(amount) total from settled group by 1) s
            on s.invoice_id = m.id
        where s.total > m.amount_total or m.amount_total - s.total <> m.amount_residual""",
        )
        == 0
    )
    assert (
        _scalar(
            fresh_db,
            """
        select count(*) from erp.account_partial_reconcile r join erp.account_payment p on p.id = r.payment_id
        join erp.account_move m on m.id = r.invoice_id where p.currency <> m.currency or p.partner_id <> m.partner_id""",
        )
        == 0
    )


def test_the_summary_reports_the_rows_written(fresh_db: str) -> None:
    summary = generate(fresh_db, **SMALL)  # type: ignore[arg-type]
    assert isinstance(summary, GenerationSummary)
    for table in COLUMNS:
        assert _scalar(fresh_db, f"select count(*) from erp.{table}") == summary.counts[table]
    assert summary.as_dict()["as_of"] == "2026-03-31"


def test_the_readme_example_runs(fresh_db: str) -> None:
    readme = (Path(__file__).parents[3] / "cartera" / "synthetic" / "README.md").read_text(encoding="utf-8")
    block = readme.split("```python\n", 1)[1].split("```", 1)[0]
    code = block.replace('"postgresql://postgres@127.0.0.1:5432/postgres"', "DSN")
    assert code != block
    exec(compile(code, "README.md", "exec"), {"DSN": fresh_db, "print": lambda *_: None})  # our own README, trusted
    assert _scalar(fresh_db, "select customers from erp.generation_info") == 40
