"""Importing an export into a real Postgres: raw rows with their load, quarantine with file row and
column, idempotent by content, all or nothing."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cartera.errors import BadInputError, QualityGateFailedError
from cartera.sources.files import import_file
from cartera.sources.files.drop_folder import import_drop_folder

pytestmark = pytest.mark.integration
AT = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
HEADER = "Folio;Cliente;Fecha;Vencimiento;Importe;Moneda;Fecha de pago;En disputa"
GOOD = [
    "F-1;C1;02/01/2026;01/02/2026;1.234,56;MXN;15/02/2026;no",
    "F-2;C1;15/01/2026;14/02/2026;500,00;MXN;;sí",
    "F-3;C2;20/03/2026;19/04/2026;2.000,00;USD;;",
] + [f"G-{i};C3;0{1 + i % 9}/03/2026;30/04/2026;10,00;MXN;;" for i in range(20)]


def write(path: Path, rows: list[str]) -> Path:
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("latin-1"))
    return path


def q(dsn: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return list(conn.execute(sql, params).fetchall())  # type: ignore[call-overload]


def test_an_import_lands_invoices_payments_disputes_and_quarantines_bad_rows_with_file_row_and_column(
    fresh_db: str, tmp_path: Path
) -> None:
    path = write(tmp_path / "cartera.csv", [*GOOD, "F-9;C2;20/03/2026;10/03/2026;10,00;MXN;;"])
    summary = import_file(fresh_db, path, imported_at=AT)
    assert summary.gate_passed and not summary.already_imported
    assert summary.loaded == {"customers": 3, "invoices": 23, "payments": 1, "payment_allocations": 1, "disputes": 1}
    rows = q(fresh_db, "select invoice_id, total, currency, load_id, source from raw.invoices order by invoice_id")
    assert rows[0][:3] == ("F-1", Decimal("1234.56"), "MXN")
    assert {r[3] for r in rows} == {summary.load_id} and {r[4] for r in rows} == {"file"}
    assert q(fresh_db, "select invoice_id, amount, allocation_date from raw.payment_allocations") == [
        ("F-1", Decimal("1234.56"), dt.date(2026, 2, 15))
    ]
    # The flag has no date in the file: disputed from the import, when we learned it.
    assert q(fresh_db, "select invoice_id, opened_date from raw.disputes") == [("F-2", AT.date())]
    # The quarantine row says which file, row and column, and is keyed by the invoice number.
    assert q(fresh_db, "select load_id, row_number, record_key, rule, reason from quarantine.rejected_rows") == [
        (summary.load_id, 25, "F-9", "file_due_date", "cartera.csv row 25, Vencimiento: before the invoice date")
    ]
    assert q(fresh_db, "select file_name, gate_passed, invoices_loaded from ops.file_imports") == [
        ("cartera.csv", True, 23)
    ]


def test_the_same_content_again_loads_nothing_and_a_corrected_file_is_a_new_version(
    fresh_db: str, tmp_path: Path
) -> None:
    path = write(tmp_path / "cartera.csv", GOOD)
    first = import_file(fresh_db, path, imported_at=AT)
    again = import_file(fresh_db, path, imported_at=AT + dt.timedelta(hours=1))
    assert again.already_imported and again.load_id == first.load_id
    assert q(fresh_db, "select count(*) from raw.invoices") == [(23,)]
    corrected = write(tmp_path / "cartera.csv", [GOOD[0].replace("1.234,56", "1.300,00"), *GOOD[1:]])
    second = import_file(fresh_db, corrected, imported_at=AT + dt.timedelta(days=1))
    assert second.load_id != first.load_id
    latest = q(
        fresh_db,
        "select distinct on (invoice_id) total from raw.invoices where invoice_id = 'F-1' "
        "order by invoice_id, updated_at desc, loaded_at desc",
    )
    assert str(latest[0][0]) == "1300.00"


def test_a_failed_gate_quarantines_lands_nothing_raises_and_a_looser_rerun_lands_once(
    fresh_db: str, tmp_path: Path
) -> None:
    bad = [f"B-{i};C9;01/03/2026;01/04/2026;10,00;XYZ;;" for i in range(5)]
    path = write(tmp_path / "mal.csv", [*GOOD[:3], *bad])
    with pytest.raises(QualityGateFailedError):
        import_file(fresh_db, path, imported_at=AT)
    assert q(fresh_db, "select count(*) from raw.invoices") == [(0,)]
    assert q(fresh_db, "select count(*) from quarantine.rejected_rows") == [(5,)]
    assert q(fresh_db, "select gate_passed from ops.file_imports") == [(False,)]
    summary = import_file(fresh_db, path, imported_at=AT, max_rejected_share=0.9)
    assert summary.loaded["invoices"] == 3
    assert q(fresh_db, "select count(*) from quarantine.rejected_rows") == [(5,)]  # redone, not doubled


def test_a_failure_while_landing_leaves_nothing_half_written(fresh_db: str, tmp_path: Path) -> None:
    with psycopg.connect(fresh_db) as conn:  # a real failure late in the transaction: a missing table
        conn.execute("alter table raw.disputes rename to disputes_gone")
    with pytest.raises(psycopg.errors.UndefinedTable):
        import_file(fresh_db, write(tmp_path / "cartera.csv", GOOD), imported_at=AT)
    for table in ("raw.customers", "raw.invoices", "raw.payments", "ops.file_imports", "ops.ingest_loads"):
        assert q(fresh_db, f"select count(*) from {table}") == [(0,)], table


def test_the_drop_folder_imports_each_file_once_uses_the_mapping_beside_it_and_names_the_bad_one(
    fresh_db: str, tmp_path: Path
) -> None:
    folder = tmp_path / "imports"
    folder.mkdir()
    write(folder / "a_cartera.csv", GOOD)
    (folder / "b_erp.csv").write_text("Doc,Cte,F,V,Saldo\nD1,K9,2026-04-01,2026-05-01,10.5\n", encoding="utf-8")
    (folder / "b_erp.mapping.yml").write_text(
        "columns: {invoice_number: Doc, customer_id: Cte, issue_date: F, due_date: V, amount: Saldo}\n"
        "currency: MXN\nsource: erp-export\n",
        encoding="utf-8",
    )
    (folder / "c_roto.csv").write_text("nada,que,ver\n1,2,3\n", encoding="utf-8")
    with pytest.raises(QualityGateFailedError, match="c_roto.csv"):
        import_drop_folder(fresh_db, folder, imported_at=AT)
    assert q(fresh_db, "select source, count(*) from raw.invoices group by 1 order by 1") == [
        ("erp-export", 1),
        ("file", 23),
    ]
    # The same bytes are refused once: the next run passes over them instead of failing again.
    again = import_drop_folder(fresh_db, folder, imported_at=AT + dt.timedelta(hours=1))
    assert [r for r in again if r["file"] == "c_roto.csv"][0]["skipped"].startswith("refused before")
    assert q(fresh_db, "select count(*) from raw.invoices") == [(24,)]
    (folder / "c_roto.csv").write_text("nada,que,ver\n1,2,3\n4,5,6\n", encoding="utf-8")  # changed: tried again
    with pytest.raises(QualityGateFailedError, match="c_roto.csv"):
        import_drop_folder(fresh_db, folder, imported_at=AT + dt.timedelta(hours=2))


def test_a_duplicated_number_with_different_amounts_and_an_unknown_currency_are_quarantined_and_never_land(
    fresh_db: str, tmp_path: Path
) -> None:
    bad = [
        "D-1;C5;01/03/2026;31/03/2026;100,00;MXN;;",
        "D-1;C5;01/03/2026;31/03/2026;150,00;MXN;;",
        "X-1;C5;01/03/2026;31/03/2026;10,00;ZZZ;;",
    ]
    rows = [*GOOD, *[f"H-{i};C4;02/03/2026;01/04/2026;5,00;MXN;;" for i in range(40)], *bad]
    summary = import_file(fresh_db, write(tmp_path / "dup.csv", rows), imported_at=AT)
    assert summary.gate_passed and summary.quarantined == 3
    assert q(fresh_db, "select count(*) from raw.invoices where invoice_id in ('D-1', 'X-1')") == [(0,)]
    assert q(fresh_db, "select count(*) from raw.customers where customer_id = 'C5'") == [(0,)]
    quarantined = q(
        fresh_db, "select row_number, record_key, rule, reason from quarantine.rejected_rows order by row_number"
    )
    assert quarantined == [
        (65, "D-1", "file_duplicate_invoice_number", "dup.csv row 65, Folio: the same invoice number is on rows 65, "
         "66 with different Importe"),
        (66, "D-1", "file_duplicate_invoice_number", "dup.csv row 66, Folio: the same invoice number is on rows 65, "
         "66 with different Importe"),
        (67, "X-1", "file_currency", "dup.csv row 67, Moneda: unknown currency code; expected one of "
         "MXN, USD, EUR, CAD, GBP, JPY, CNY, BRL, COP, CLP, PEN, ARS"),
    ]  # fmt: skip
    loads = q(
        fresh_db, "select entity, rows_extracted, rows_loaded, rows_quarantined, gate_passed from ops.ingest_loads"
    )
    assert ("invoices", 66, 63, 3, True) in loads
    assert {r[0] for r in q(fresh_db, "select distinct load_id from raw.invoices")} == {summary.load_id}


def test_an_import_bounds_dates_by_its_own_day_so_a_past_import_reruns_the_same(fresh_db: str, tmp_path: Path) -> None:
    # Imported on 2026-06-01 (AT): an invoice dated 06-03 was still in the future that day, so it
    # is quarantined, however late the import is run again (the clock used to widen the bound).
    late = "F-LATE;C1;03/06/2026;03/07/2026;10,00;MXN;;"
    summary = import_file(fresh_db, write(tmp_path / "cartera.csv", [*GOOD, late]), imported_at=AT)
    assert summary.gate_passed and summary.loaded["invoices"] == len(GOOD)
    assert q(fresh_db, "select count(*) from raw.invoices where invoice_id = 'F-LATE'") == [(0,)]
    assert q(fresh_db, "select record_key, rule from quarantine.rejected_rows") == [("F-LATE", "issue_date_sane")]


def test_an_import_needs_its_instant_from_the_caller(fresh_db: str, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="imported_at"):
        import_file(fresh_db, write(tmp_path / "cartera.csv", GOOD))  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="timezone-aware"):
        import_file(fresh_db, write(tmp_path / "cartera.csv", GOOD), imported_at=dt.datetime(2026, 6, 1, 12))


def test_an_import_logs_its_progress_in_steps_and_a_failed_read_says_it_stopped(
    fresh_db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="cartera.progress"):
        import_file(fresh_db, write(tmp_path / "cartera.csv", GOOD), imported_at=AT)
    final = [r.getMessage() for r in caplog.records if r.name == "cartera.progress"][-1]
    assert final.startswith("import cartera.csv: 11/11 (100 %)") and "steps/s" in final
    caplog.clear()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with caplog.at_level(logging.INFO, logger="cartera.progress"), pytest.raises(BadInputError):
        import_file(fresh_db, empty, imported_at=AT)
    assert [r.getMessage() for r in caplog.records if r.name == "cartera.progress"][-1].endswith(
        "(stopped by an error)"
    )
