"""The rewritten settlement and daily-balance models return exactly what their former definitions
returned, on a random book (MXN and USD, partial payments, credit notes, advances, a cancelled
invoice, USD rates with gaps), on a first day and on the next day after back-dated changes.

The former definitions are kept verbatim in reference_models/ (as they were at 1b4496b):
int_ar_balances_daily_as_of expanded every open span to each of its days (O(spans × days));
int_invoice_settlement_as_of read its imports twice. They are rendered here with the same refs,
vars and macros dbt gives them and compared with the built tables with EXCEPT ALL both ways: not
one row may differ, to the cent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from test_ar_kpis_recomputed import random_book, raw_sql
from warehouse_builds import DBT_PROJECT_DIR, dbt_build, failures, load_raw_sql, query

pytestmark = pytest.mark.integration

HERE = Path(__file__).parent
DAY_ONE = dt.date(2026, 11, 20)
DAY_TWO = DAY_ONE + dt.timedelta(days=1)
# built model -> its former definition
REFERENCES = {
    "int_ar_balances_daily_as_of": "int_ar_balances_daily_expanded.sql",
    "int_invoice_settlement_as_of": "int_invoice_settlement_two_passes.sql",
}


def reference_sql(file_name: str, as_of: dt.date) -> str:
    """A former model rendered as dbt renders it: refs to the built intermediate tables, the
    project's vars, `as_of_date()` and `money()` as the project's macros expand them."""
    project_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(
        (HERE / "reference_models" / file_name).read_text()
    )
    return template.render(
        ref=lambda name: f'"intermediate"."{name}"',
        var=lambda name: project_vars[name],
        config=lambda **_: "",
        as_of_date=lambda: f"cast('{as_of.isoformat()}' as date)",
        money=lambda column: f"cast({column} as numeric(18, 2))",
    )


def differing_rows(dsn: str, model: str, as_of: dt.date) -> tuple[int, int]:
    """(rows only in the built table, rows only in the former definition's result)."""
    reference = reference_sql(REFERENCES[model], as_of)
    built = f'select * from "intermediate"."{model}"'
    counts = query(
        dsn,
        f"select (select count(*) from ({built} except all ({reference})) as only_built) as only_built, "
        f"(select count(*) from (({reference}) except all {built}) as only_reference) as only_reference",
    )[0]
    return int(counts["only_built"]), int(counts["only_reference"])


def back_dated_changes(dsn: str) -> str:
    """Raw rows landed after day one: a payment and a credit note dated weeks back on invoices
    open on day one (one in pesos, one in dollars each), and a new version of an open dollar
    invoice with a larger total and a later due date."""
    open_invoices = query(
        dsn,
        "select s.invoice_id, i.customer_id, i.currency, i.issue_date, i.due_date, s.open_amount "
        "from intermediate.int_invoice_settlement_as_of as s "
        "join intermediate.int_invoices_posted_as_of as i using (invoice_id) "
        "where s.open_amount > 100 and i.issue_date < %s order by s.invoice_id",
        (DAY_ONE - dt.timedelta(days=70),),
    )
    by_currency: dict[str, list[dict[str, Any]]] = {"MXN": [], "USD": []}
    for row in open_invoices:
        by_currency[row["currency"]].append(row)
    assert all(len(rows) >= 2 for rows in by_currency.values()), "the book must leave invoices open in both currencies"
    (peso_paid, peso_credited), (dollar_paid, dollar_changed) = by_currency["MXN"][:2], by_currency["USD"][:2]
    landed = f"'{DAY_ONE} 23:00+00'"
    statements = []
    for n, (invoice, days_back) in enumerate(((peso_paid, 60), (dollar_paid, 40))):
        day, amount = DAY_ONE - dt.timedelta(days=days_back), round(invoice["open_amount"] / 3, 2)
        statements.append(
            "insert into raw.payments (load_id, source, payment_id, customer_id, payment_date, currency, amount, "
            f"status, updated_at) values ('R2', 'erp', 'PBD{n}', '{invoice['customer_id']}', '{day}', "
            f"'{invoice['currency']}', {amount}, 'posted', {landed})"
        )
        statements.append(
            "insert into raw.payment_allocations (load_id, source, allocation_id, payment_id, invoice_id, amount, "
            f"allocation_date, updated_at) values ('R2', 'erp', 'ABD{n}', 'PBD{n}', '{invoice['invoice_id']}', "
            f"{amount}, '{day}', {landed})"
        )
    credit_day = DAY_ONE - dt.timedelta(days=45)
    statements.append(
        "insert into raw.credit_notes (load_id, source, credit_note_id, credit_note_number, customer_id, invoice_id, "
        "issue_date, currency, total, reason, status, cfdi_uuid, updated_at) values "
        f"('R2', 'erp', 'CNBD', 'NC-BD', '{peso_credited['customer_id']}', '{peso_credited['invoice_id']}', "
        f"'{credit_day}', 'MXN', {round(peso_credited['open_amount'] / 4, 2)}, 'descuento', 'posted', 'uuid-bd', {landed})"
    )
    (total,) = (
        row["total"]
        for row in query(dsn, "select total from raw.invoices where invoice_id = %s", (dollar_changed["invoice_id"],))
    )
    new_total, subtotal = total + 1000, round((total + 1000) / Decimal("1.16"), 2)
    statements.append(
        "insert into raw.invoices (load_id, source, invoice_id, invoice_number, customer_id, issue_date, due_date, "
        "currency, subtotal, tax, total, status, updated_at) values "
        f"('R2', 'erp', '{dollar_changed['invoice_id']}', 'F-{dollar_changed['invoice_id']}', "
        f"'{dollar_changed['customer_id']}', '{dollar_changed['issue_date']}', "
        f"'{dollar_changed['due_date'] + dt.timedelta(days=10)}', 'USD', {subtotal}, {new_total - subtotal}, "
        f"{new_total}, 'posted', {landed})"
    )
    return ";\n".join(statements) + ";"


def balances(dsn: str) -> dict[dt.date, dict[str, Any]]:
    return {
        row.pop("balance_date"): row for row in query(dsn, "select * from intermediate.int_ar_balances_daily_as_of")
    }


def test_rewritten_models_equal_their_former_definitions_on_a_day_and_after_back_dated_changes(
    fresh_db: str, tmp_path: Path
) -> None:
    load_raw_sql(fresh_db, raw_sql(random_book(seed=23)))

    result = dbt_build(fresh_db, as_of=DAY_ONE.isoformat(), work_dir=tmp_path / "day_one")
    assert result.success, failures(result)
    for model in REFERENCES:
        assert differing_rows(fresh_db, model, DAY_ONE) == (0, 0), model
    day_one = balances(fresh_db)

    load_raw_sql(fresh_db, back_dated_changes(fresh_db))
    result = dbt_build(fresh_db, as_of=DAY_TWO.isoformat(), work_dir=tmp_path / "day_two")
    assert result.success, failures(result)
    for model in REFERENCES:
        assert differing_rows(fresh_db, model, DAY_TWO) == (0, 0), model
    day_two = balances(fresh_db)

    # the comparison covers what it claims: dollars revalued, days past due, and past days'
    # balances moved by the back-dated rows
    assert any(row["fx_revaluation_mxn"] != 0 for row in day_two.values())
    assert any(
        row["overdue_invoices"] > 0 and row["open_invoices"] > row["overdue_invoices"] for row in day_two.values()
    )
    back_day = DAY_ONE - dt.timedelta(days=45)
    assert back_day in day_one and back_day in day_two
    assert day_two[back_day]["open_mxn_at_issue_rate"] != day_one[back_day]["open_mxn_at_issue_rate"]
