"""The ERP ingest a chunk at a time: the same rows, row numbers (positions as read) and verdicts as one piece; the
gate's share and uniqueness judged over the whole window; text landed byte for byte."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest
from small_erp import UPPER, WRITTEN, execute, query  # beside this file

from cartera.errors import QualityGateFailedError, SourceUnavailableError
from cartera.sources.erp_ingest import ingest_erp
from cartera.sources.erp_stream import key_is_unique, survey

pytestmark = pytest.mark.integration

START = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
RESET = "truncate raw.invoices, quarantine.rejected_rows, ops.ingest_loads, ops.ingest_watermarks"


def invoices(dsn: str, chunk_rows: int, **kwargs: Any) -> Any:
    return ingest_erp(
        warehouse_dsn=dsn, erp_dsn=dsn, upper_bound=UPPER, entities=["invoices"], chunk_rows=chunk_rows, **kwargs
    )[0]


def add_invoices(dsn: str, count: int, *, first: int = 1000, at: dt.datetime = WRITTEN, total: int = 116) -> None:
    execute(
        dsn,
        """insert into erp.account_move (id, name, move_type, partner_id, invoice_date, invoice_date_due, currency,
                                         amount_untaxed, amount_tax, amount_total, state, write_date)
           select %s + n, 'F-' || (%s + n), 'out_invoice', 1, '2025-04-01', '2025-05-01', 'MXN', 100, 16, %s,
                  'posted', %s
           from generate_series(1, %s) n""",
        (first, first, total, at, count),
    )


def landed(dsn: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    raw = query(dsn, "select load_id, invoice_id, invoice_number, total, updated_at from raw.invoices order by 2")
    rejected = query(
        dsn, "select load_id, row_number, record_key, rule, record from quarantine.rejected_rows order by 2, 4"
    )
    return raw, rejected


def test_chunks_land_the_same_rows_row_numbers_and_records_as_one_piece(erp_dsn: str) -> None:
    add_invoices(erp_dsn, 40)
    execute(erp_dsn, "update erp.account_move set amount_total = -1 where id in (1007, 1033)")  # 2 of 43: 4.7 %
    whole = invoices(erp_dsn, 100_000)
    one_piece = landed(erp_dsn)
    execute(erp_dsn, RESET)
    chunked = invoices(erp_dsn, 4)
    assert landed(erp_dsn) == one_piece
    assert (chunked.load_id, chunked.rows_extracted, chunked.rows_loaded, chunked.rows_quarantined) == (
        whole.load_id,
        43,
        41,
        2,
    )
    # A row's number is its position in the window as the ERP reads it (unsorted: see erp_stream).
    as_read = query(
        erp_dsn, "select id::text from erp.account_move where move_type = 'out_invoice' and write_date <= %s", (UPPER,)
    )
    position = {key: number for number, (key,) in enumerate(as_read, 1)}
    assert len(position) == 43
    assert [(r[1], r[2], r[3]) for r in one_piece[1]] == sorted(
        [(position["1007"], "1007", "total_non_negative"), (position["1033"], "1033", "total_non_negative")]
    )


def test_the_rejected_share_is_over_the_window_and_a_failed_gate_takes_back_landed_chunks(erp_dsn: str) -> None:
    add_invoices(erp_dsn, 40)
    # The three bad rows are written last, so they come in the last chunk, after 40 rows landed.
    add_invoices(erp_dsn, 3, first=2000, at=WRITTEN + dt.timedelta(hours=1), total=-5)
    with pytest.raises(QualityGateFailedError) as failure:
        invoices(erp_dsn, 10)
    assert failure.value.failures == {"invoices.total_non_negative": 3, "invoices.rejected_share_above_5%": 3}
    assert query(erp_dsn, "select count(*) from raw.invoices") == [(0,)]
    assert query(erp_dsn, "select count(*), min(row_number) from quarantine.rejected_rows") == [(3, 44)]
    assert query(erp_dsn, "select rows_extracted, rows_loaded, gate_passed from ops.ingest_loads") == [(46, 0, False)]
    assert query(erp_dsn, "select count(*) from ops.ingest_watermarks") == [(0,)]


def test_a_key_repeated_in_different_chunks_is_caught_as_in_one_piece(erp_dsn: str) -> None:
    add_invoices(erp_dsn, 40)
    execute(erp_dsn, "update erp.account_move set id = 101 where id = 1040")  # the last row repeats the first's id
    result = invoices(erp_dsn, 2)
    assert (result.rows_loaded, result.rows_quarantined) == (41, 2)
    assert query(erp_dsn, "select record_key, rule from quarantine.rejected_rows") == [
        ("101", "invoice_id_unique"),
        ("101", "invoice_id_unique"),
    ]


def test_text_lands_byte_for_byte_and_a_rejected_record_holds_it_decoded(erp_dsn: str) -> None:
    odd = "F\t1\\2\nÑandú ☃ \\N"
    execute(erp_dsn, "update erp.account_move set name = %s where id = 101", (odd,))
    execute(erp_dsn, "update erp.account_move set name = %s, amount_total = -1 where id = 102", (odd + "!",))
    execute(erp_dsn, "update erp.account_move set name = '' where id = 103")
    invoices(erp_dsn, 1, max_rejected_share=0.5)
    assert query(erp_dsn, "select invoice_id, invoice_number from raw.invoices order by 1") == [
        ("101", odd),
        ("103", ""),
    ]
    record = query(erp_dsn, "select record from quarantine.rejected_rows")[0][0]
    assert record["invoice_number"] == odd + "!"
    assert record["total"] == "-1.00" and record["issue_date"] == "2025-04-10" and record["subtotal"] == "500.00"


def test_a_unique_index_on_the_key_columns_tells_that_no_key_repeats(erp_dsn: str) -> None:
    with psycopg.connect(erp_dsn) as conn:
        assert not key_is_unique(conn, "invoices", schema="erp")  # the small ERP has no index at all
        counted = survey(conn, "invoices", schema="erp", lower=START, upper=UPPER)
        conn.execute("create unique index on erp.account_move (id)")
        conn.execute("create unique index on erp.res_partner (id) where id > 0")  # partial: proves nothing
        conn.execute("create unique index on erp.res_currency_rate (name, currency)")
        assert key_is_unique(conn, "invoices", schema="erp")
        assert key_is_unique(conn, "credit_notes", schema="erp")  # the same table, keyed by id too
        assert not key_is_unique(conn, "customers", schema="erp")
        assert not key_is_unique(conn, "fx_rates", schema="erp")  # its key casts name to date: not taken as is
        assert survey(conn, "invoices", schema="erp", lower=START, upper=UPPER, unique_key=True) == counted
    add_invoices(erp_dsn, 40)
    result = invoices(erp_dsn, 4)
    assert (result.rows_extracted, result.rows_loaded) == (43, 43)


# Big enough that the ERP is still sending when the fault comes (sockets buffer a few MB).
MANY = 150_000


def terminate_at_third_gate(monkeypatch: pytest.MonkeyPatch, dsn: str, session: str) -> list[int]:
    """Make the ingest's third chunk validation terminate the backend whose last query matches
    `session` (a LIKE pattern), as a restart or a network cut would; returns the pids ended."""
    import expectations.gate

    real = expectations.gate.run_gate
    calls: list[int] = []
    ended: list[int] = []

    def run_gate(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            rows = query(
                dsn,
                "select pg_terminate_backend(pid), pid from pg_stat_activity"
                " where datname = current_database() and pid <> pg_backend_pid() and query like %s",
                (session,),
            )
            ended.extend(pid for ok, pid in rows if ok)
        return real(*args, **kwargs)

    monkeypatch.setattr(expectations.gate, "run_gate", run_gate)
    return ended


@pytest.mark.parametrize(
    ("session", "error"),
    [("copy (select%", SourceUnavailableError), ('copy "raw"."invoices"%', psycopg.OperationalError)],
    ids=["erp", "warehouse"],
)
@pytest.mark.timeout(180)  # a COPY left half-read used to hang the ERP connection's close forever
def test_a_connection_lost_mid_stream_lands_nothing_and_the_rerun_lands_every_row_once(
    erp_dsn: str, monkeypatch: pytest.MonkeyPatch, session: str, error: type[Exception]
) -> None:
    add_invoices(erp_dsn, MANY)
    ended = terminate_at_third_gate(monkeypatch, erp_dsn, session)
    with pytest.raises(error):
        invoices(erp_dsn, 10_000)
    assert ended  # the fault happened: a backend was ended mid-stream
    assert query(erp_dsn, "select count(*) from raw.invoices") == [(0,)]
    assert query(erp_dsn, "select count(*) from ops.ingest_watermarks") == [(0,)]
    assert query(erp_dsn, "select count(*) from ops.ingest_loads") == [(0,)]
    monkeypatch.undo()
    result = invoices(erp_dsn, 50_000)
    assert (result.rows_extracted, result.rows_loaded) == (MANY + 3, MANY + 3)
    assert query(erp_dsn, "select count(*), count(distinct invoice_id) from raw.invoices") == [(MANY + 3, MANY + 3)]
