"""The same book imported again after Excel re-saved it (leading zeros stripped, case and spaces
changed) lands new versions of the same invoices, and the warehouse's open items are not doubled;
a file without a currency is refused with the fix; the country assumed is recorded."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cartera import cli
from cartera.sources.files import FileMapping, import_file
from tests.integration.dbt.warehouse_builds import dbt_build, failures

pytestmark = pytest.mark.integration
AT = dt.datetime(2026, 4, 1, 6, tzinfo=dt.UTC)
AS_OF = dt.date(2026, 3, 31)
HEADER = "invoiceNumber,customerId,issueDate,dueDate,amountDue,currency,paidDate"


def book(number: Any) -> list[str]:
    """Forty invoices, every fourth one paid; `number(i)` writes invoice i's number."""
    rows = []
    for i in range(1, 41):
        paid = f"2026-02-{1 + i % 20:02d}" if i % 4 == 0 else ""
        rows.append(f"{number(i)},C{i % 5},2026-01-{1 + i % 25:02d},2026-03-{1 + i % 25:02d},{100 + i}.50,MXN,{paid}")
    return rows


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def q(dsn: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return list(conn.execute(sql, params).fetchall())  # type: ignore[call-overload]


def test_a_reformatted_export_lands_new_versions_of_the_same_invoices_and_open_items_are_not_doubled(
    fresh_db: str, tmp_path: Path
) -> None:
    first = write(tmp_path / "book.csv", book(lambda i: f"F-{i:06d}"))
    # What a re-save does: leading zeros gone, another case, stray spaces.
    again = write(tmp_path / "book (2).csv", book(lambda i: f" f-{i} " if i % 2 else f"F-{i}"))
    one = import_file(fresh_db, first, FileMapping(country="MX"), imported_at=AT)
    two = import_file(fresh_db, again, FileMapping(country="MX"), imported_at=AT + dt.timedelta(hours=1))
    assert one.loaded["invoices"] == two.loaded["invoices"] == 40 and one.load_id != two.load_id
    # raw keeps both versions, under the same keys
    assert q(fresh_db, "select count(*), count(distinct invoice_id) from raw.invoices") == [(80, 40)]
    assert q(fresh_db, "select count(distinct payment_id) from raw.payments") == [(10,)]
    ids = {r[0] for r in q(fresh_db, "select distinct invoice_id from raw.invoices")}
    assert ids == {f"F-{i}" for i in range(1, 41)}
    # the number as written is kept with each version
    assert q(fresh_db, "select invoice_number from raw.invoices where invoice_id = 'F-7' order by loaded_at") == [
        ("F-000007",),
        ("f-7",),
    ]

    result = dbt_build(fresh_db, as_of=AS_OF.isoformat(), work_dir=tmp_path / "dbt")
    assert result.success, failures(result)
    open_items = q(fresh_db, "select invoice_id, open_amount from marts.fct_open_items where as_of_date = %s", (AS_OF,))
    expected = {f"F-{i}": Decimal(f"{100 + i}.50") for i in range(1, 41) if i % 4}
    assert dict(open_items) == expected  # 30 open invoices, once each
    assert q(fresh_db, "select count(*) from marts.fct_invoices") == [(40,)]


def test_the_country_assumed_is_recorded_and_a_column_or_option_sets_it(fresh_db: str, tmp_path: Path) -> None:
    assumed = import_file(fresh_db, write(tmp_path / "a.csv", book(lambda i: f"A-{i}")), imported_at=AT)
    assert assumed.country_assumed == "MX" and assumed.as_dict()["country_assumed"] == "MX"
    recorded = q(fresh_db, "select warnings from ops.file_imports where load_id = %s", (assumed.load_id,))[0][0]
    assert any("default country MX" in w for w in recorded)
    given = import_file(
        fresh_db, write(tmp_path / "b.csv", book(lambda i: f"B-{i}")), FileMapping(country="US"), imported_at=AT
    )
    assert given.country_assumed is None
    assert q(fresh_db, "select distinct country_code from raw.customers where load_id = %s", (given.load_id,)) == [
        ("US",)
    ]
    columns = given.as_dict()["columns"]
    assert (
        columns["outcomes"] == {"paidDate": columns["outcomes"]["paidDate"]}
        and "label" in columns["outcomes"]["paidDate"]
    )
    assert columns["used"]["invoice_number"]["column"] == "invoiceNumber"


def test_cartera_import_of_a_file_without_a_currency_exits_2_with_the_fix_and_records_the_refusal(
    fresh_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nocur.csv"
    path.write_text(
        "invoiceNumber,customerId,issueDate,dueDate,amount\nA1,C1,2026-01-02,2026-02-01,10\n", encoding="utf-8"
    )
    monkeypatch.setenv("CARTERA_DATABASE_URL", fresh_db)
    monkeypatch.setattr(sys, "argv", ["cartera", "import", str(path)])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--currency MXN" in err
    assert q(fresh_db, "select gate_passed, invoices_loaded, error like '%%--currency%%' from ops.file_imports") == [
        (False, 0, True)
    ]
    monkeypatch.setattr(sys, "argv", ["cartera", "import", str(path), "--currency", "MXN"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code in (0, None)
    summary = json.loads(capsys.readouterr().out)
    assert summary["loaded"]["invoices"] == 1 and summary["country_assumed"] == "MX"
    assert q(fresh_db, "select currency from raw.invoices") == [("MXN",)]
