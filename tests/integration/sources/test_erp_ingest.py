"""Ingest from a small ERP into a real warehouse: counts, reruns, new versions, quarantine, failures."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from small_erp import EXPECTED_ROWS, UPPER, WRITTEN, execute, query  # beside this file

from cartera.errors import QualityGateFailedError, SourceUnavailableError
from cartera.raw_contract import ENTITIES
from cartera.sources.erp_ingest import ingest_erp

pytestmark = pytest.mark.integration


def raw_counts(dsn: str) -> dict[str, int]:
    return {entity: query(dsn, f"select count(*) from raw.{entity}")[0][0] for entity in ENTITIES}


def run(dsn: str, upper: dt.datetime = UPPER, **kwargs: Any) -> dict[str, Any]:
    return {r.entity: r for r in ingest_erp(warehouse_dsn=dsn, erp_dsn=dsn, upper_bound=upper, **kwargs)}


def test_the_first_ingest_lands_every_row_with_its_load_and_watermark(erp_dsn: str) -> None:
    results = run(erp_dsn)
    assert {e: r.rows_loaded for e, r in results.items()} == EXPECTED_ROWS
    assert raw_counts(erp_dsn) == EXPECTED_ROWS
    assert all(r.gate_passed and r.rows_quarantined == 0 and r.watermark_to == WRITTEN for r in results.values())
    invoice = query(
        erp_dsn,
        "select invoice_id, invoice_number, customer_id, total, load_id, source, updated_at from raw.invoices where invoice_id = '101'",
    )
    assert invoice == [("101", "F-0001", "1", 1160, results["invoices"].load_id, "erp", WRITTEN)]
    assert query(erp_dsn, "select invoice_id from raw.credit_notes") == [("101",)]  # reversed_entry_id
    assert query(erp_dsn, "select count(*) from ops.ingest_watermarks where watermark = %s", (WRITTEN,)) == [
        (len(ENTITIES),)
    ]
    assert query(erp_dsn, "select count(*), bool_and(gate_passed) from ops.ingest_loads") == [(len(ENTITIES), True)]


def test_a_rerun_extracts_nothing_and_leaves_raw_unchanged(erp_dsn: str) -> None:
    run(erp_dsn)
    before = query(erp_dsn, "select load_id, invoice_id, loaded_at from raw.invoices order by invoice_id")
    again = run(erp_dsn)
    assert all(r.rows_extracted == 0 and r.rows_loaded == 0 for r in again.values())
    assert raw_counts(erp_dsn) == EXPECTED_ROWS
    assert query(erp_dsn, "select load_id, invoice_id, loaded_at from raw.invoices order by invoice_id") == before
    run(erp_dsn)  # the empty window's load id repeats too: still no error and nothing new
    assert raw_counts(erp_dsn) == EXPECTED_ROWS


def test_an_updated_erp_row_lands_as_a_new_version_on_the_next_run(erp_dsn: str) -> None:
    run(erp_dsn)
    later = dt.datetime(2025, 6, 15, tzinfo=dt.UTC)
    execute(erp_dsn, "update erp.account_move set amount_total = 1000, write_date = %s where id = 101", (later,))
    execute(
        erp_dsn,
        "update erp.account_move set state = 'cancel', write_date = %s where id = 102",
        (later + dt.timedelta(days=30),),
    )
    assert run(erp_dsn)["invoices"].rows_loaded == 0  # both updates are after this upper bound
    results = run(erp_dsn, upper=dt.datetime(2025, 7, 1, tzinfo=dt.UTC))
    assert results["invoices"].rows_loaded == 1 and results["invoices"].watermark_to == later
    assert results["customers"].rows_loaded == 0
    versions = query(erp_dsn, "select total, updated_at from raw.invoices where invoice_id = '101' order by updated_at")
    assert versions == [(1160, WRITTEN), (1000, later)]


def test_rows_with_a_missing_key_or_a_negative_amount_are_quarantined_and_the_rest_loads(erp_dsn: str) -> None:
    # 40 more good invoices so that 2 rejects in 43 stay under the default 5% threshold.
    execute(
        erp_dsn,
        """insert into erp.account_move (id, name, move_type, partner_id, invoice_date, invoice_date_due, currency,
                                          amount_untaxed, amount_tax, amount_total, state, write_date)
           select 1000 + n, 'F-' || n, 'out_invoice', 1, '2025-04-01', '2025-05-01', 'MXN', 100, 16, 116, 'posted', %s
           from generate_series(1, 40) n""",
        (WRITTEN,),
    )
    execute(erp_dsn, "update erp.account_move set id = null where id = 102")
    execute(erp_dsn, "update erp.account_move set amount_total = -1160 where id = 103")
    result = run(erp_dsn, entities=["invoices"])["invoices"]
    assert (result.gate_passed, result.rows_extracted, result.rows_loaded, result.rows_quarantined) == (True, 43, 41, 2)
    quarantined = query(
        erp_dsn,
        "select record_key, rule, reason, record->>'invoice_number', load_id from quarantine.rejected_rows order by rule",
    )
    assert [q[:4] for q in quarantined] == [
        (None, "invoice_id_not_null", "invoice_id is missing", "F-0002"),
        ("103", "total_non_negative", "total is negative", "F-0003"),
    ]
    assert {q[4] for q in quarantined} == {result.load_id}
    assert query(erp_dsn, "select count(*) from raw.invoices where invoice_id = '103' or invoice_id is null") == [(0,)]


def test_a_failed_gate_quarantines_loads_nothing_keeps_the_watermark_and_raises_after_the_others(erp_dsn: str) -> None:
    execute(erp_dsn, "update erp.account_move set currency = 'XXX' where id = 102")  # 1 of 3 invoices: 33%
    with pytest.raises(QualityGateFailedError) as failure:
        run(erp_dsn)
    assert failure.value.failures == {"invoices.currency_known": 1, "invoices.rejected_share_above_5%": 1}
    counts = raw_counts(erp_dsn)
    assert counts["invoices"] == 0 and counts["payments"] == EXPECTED_ROWS["payments"]  # the others ran
    assert query(
        erp_dsn, "select rows_loaded, rows_quarantined, gate_passed from ops.ingest_loads where entity = 'invoices'"
    ) == [(0, 1, False)]
    assert query(erp_dsn, "select count(*) from ops.ingest_watermarks where entity = 'invoices'") == [(0,)]
    with pytest.raises(QualityGateFailedError):  # a retry redoes the same window, without duplicates
        run(erp_dsn, entities=["invoices"])
    assert query(erp_dsn, "select count(*) from quarantine.rejected_rows") == [(1,)]
    execute(
        erp_dsn,
        "update erp.account_move set currency = 'USD', write_date = %s where id = 102",
        (UPPER - dt.timedelta(hours=1),),
    )
    assert run(erp_dsn, entities=["invoices"])["invoices"].rows_loaded == 3  # fixed at the source: it lands


def test_a_crash_mid_load_leaves_nothing_behind(erp_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object) -> None:
        raise RuntimeError("simulated crash after COPY")

    monkeypatch.setattr("cartera.sources.erp_ingest.advance_watermark", crash)
    with pytest.raises(RuntimeError):
        run(erp_dsn, entities=["invoices"])
    assert raw_counts(erp_dsn)["invoices"] == 0
    assert query(erp_dsn, "select count(*) from ops.ingest_loads") == [(0,)]
    monkeypatch.undo()
    assert run(erp_dsn, entities=["invoices"])["invoices"].rows_loaded == 3


def test_a_missing_erp_table_names_the_table(erp_dsn: str) -> None:
    execute(erp_dsn, "drop table erp.collection_dispute")
    with pytest.raises(SourceUnavailableError) as error:
        run(erp_dsn)
    assert error.value.source == "erp" and "erp.collection_dispute" in str(error.value)
    assert "Check:" in str(error.value)


def test_an_unreachable_erp_raises_source_unavailable(erp_dsn: str) -> None:
    with pytest.raises(SourceUnavailableError) as error:
        ingest_erp(warehouse_dsn=erp_dsn, erp_dsn="postgresql://nobody:secret@127.0.0.1:1/erp", upper_bound=UPPER)
    assert error.value.source == "erp" and "secret" not in str(error.value)


def test_logs_carry_counts_not_personal_values(erp_dsn: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="cartera"):
        run(erp_dsn)
    assert "invoices" in caplog.text
    for value in ("María", "maria@example.com", "+52662", "ASO010101AAA", "Abarrotes", erp_dsn):
        assert value not in caplog.text
