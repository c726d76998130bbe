"""The drop folder on a real Postgres with a slice of the bad-input corpus, links and a subfolder:
every file is imported or recorded as refused, none blocks the others, nothing outside the folder is
read, and no log line or stored reason carries a name from a file."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cartera.errors import QualityGateFailedError
from cartera.sources.files.drop_folder import import_drop_folder
from cartera.sources.files.limits import display_name
from tests.unit.files.bad_inputs import SURNAME, write_corpus

pytestmark = pytest.mark.integration
AT = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
SLICE = {
    "quote_open_row96.csv",
    "enc_one_latin1_row.csv",
    "enc_cp1252.csv",
    "amount_1e16.csv",
    "amount_max_ok.csv",
    "date_due_9999.csv",
    "ctrl_nul_name.csv",
    "xlsx_declared_huge.xlsx",
    "xlsx_dtd_shared_strings.xlsx",
    "junk.csv",
    "header_only.csv",
    "line\nbreak.csv",
    "forged\nERROR cartera: all good.csv",
}


def q(dsn: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return list(conn.execute(sql, params).fetchall())  # type: ignore[call-overload]


def test_a_folder_of_bad_files_lands_what_is_good_records_what_is_refused_and_never_leaks_a_name(
    fresh_db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "imports"
    cases = write_corpus(folder, lambda case: case.name in SLICE)
    outside = tmp_path / "outside.csv"
    outside.write_bytes(cases["enc_cp1252.csv"].content.replace(b"F-", b"OUT-"))
    (folder / "link_outside.csv").symlink_to(outside)
    (folder / "sub.csv").mkdir()
    with caplog.at_level(logging.INFO, logger="cartera"), pytest.raises(QualityGateFailedError) as failed:
        import_drop_folder(fresh_db, folder, imported_at=AT)
    refused = {display_name(n) for n, c in cases.items() if c.refused}
    assert set(failed.value.failures) == refused
    # Nothing from outside the folder, and every good file landed despite the refused ones.
    assert q(fresh_db, "select count(*) from raw.invoices where invoice_id like 'OUT-%%'") == [(0,)]
    records = {r[0]: r[1:] for r in q(fresh_db, "select file_name, rows_read, invoices_loaded, rows_skipped, "
                                                 "gate_passed, error, load_id from ops.file_imports")}  # fmt: skip
    assert set(records) == {display_name(n) for n in cases}
    for name, case in cases.items():
        rows_read, loaded, skipped, passed, error, load_id = records[display_name(name)]
        if case.refused:
            assert (loaded, passed) == (0, False) and error and display_name(name) in error
            assert q(fresh_db, "select count(*) from raw.invoices where load_id = %s", (load_id,)) == [(0,)]
            continue
        quarantined = q(
            fresh_db,
            "select count(distinct row_number) from quarantine.rejected_rows where load_id = %s and entity = 'invoices'",
            (load_id,),
        )[0][0]
        assert passed and error is None
        assert case.rows_in == rows_read == loaded + quarantined + skipped, name
    # The NUL row is quarantined by field, its value kept escaped; the raw tables never saw it.
    assert q(fresh_db, "select field, rule from quarantine.rejected_rows where file_name = 'ctrl_nul_name.csv'") == [
        ("customer_name", "file_control_character")
    ]
    assert q(fresh_db, "select count(*) from raw.customers where customer_name like '%%\\x00%%'") == [(0,)]
    texts = [r.getMessage() for r in caplog.records] + [
        r[0]
        for r in q(
            fresh_db,
            "select reason from quarantine.rejected_rows union all select coalesce(error, '') from ops.file_imports",
        )  # fmt: skip
    ]
    for text in texts:
        assert SURNAME not in text and "Núñez" not in text, text
        assert "\n" not in text, text
    assert any("link_outside.csv passed over: a symbolic link" in t for t in texts)
