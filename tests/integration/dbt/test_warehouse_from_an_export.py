"""A company that only has an export: imported, then built by dbt like any source. The open items
are exactly the invoices the file shows unpaid at the as-of date, with the file's amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from warehouse_builds import dbt_build, failures, query

from cartera.sources.files import import_file
from cartera.synthetic.company import build_company
from cartera.synthetic.export import invoice_export, spanish_export
from cartera.synthetic.summary import GenerationParams

pytestmark = pytest.mark.integration
AS_OF = dt.date(2026, 3, 31)


def test_an_imported_export_builds_the_warehouse_and_its_open_items_match_the_file(
    fresh_db: str, tmp_path: Path
) -> None:
    book = invoice_export(build_company(GenerationParams(seed=5, customers=25, months=9, as_of=AS_OF)))
    path = spanish_export(book, tmp_path / "saldos.csv")
    summary = import_file(fresh_db, path, imported_at=dt.datetime(2026, 4, 1, 6, tzinfo=dt.UTC))
    assert summary.loaded["invoices"] == len(book)

    result = dbt_build(fresh_db, as_of=AS_OF.isoformat(), work_dir=tmp_path / "dbt")
    assert result.success, failures(result)

    unpaid = book[book["paid_date"].isna()]
    expected = {f"F-{r.invoice_id}": Decimal(str(r.amount)).quantize(Decimal("0.01")) for r in unpaid.itertuples()}
    rows = query(fresh_db, "select invoice_id, open_amount from marts.fct_open_items where as_of_date = %s", (AS_OF,))
    assert {r["invoice_id"]: r["open_amount"] for r in rows} == expected
    customers = query(fresh_db, "select count(*) as n, count(country_code) as c from marts.dim_customers")
    assert customers == [{"n": book["customer_id"].nunique(), "c": book["customer_id"].nunique()}]
