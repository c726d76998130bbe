"""The in-memory company is deterministic, dated within its history, and its books add up."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from cartera.synthetic.company import Company, build_company, history_start
from cartera.synthetic.schema import COLUMNS
from cartera.synthetic.summary import GenerationParams

PARAMS = GenerationParams(seed=5, customers=60, months=8, as_of=dt.date(2025, 12, 31))
END_OF_AS_OF = dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def company() -> Company:
    return build_company(PARAMS)


def _rows(company: Company, table: str) -> list[dict[str, object]]:
    return [dict(zip(COLUMNS[table], row, strict=True)) for row in company.tables[table]]


def test_same_parameters_build_identical_rows(company: Company) -> None:
    assert build_company(PARAMS) == company


def test_another_seed_builds_another_company(company: Company) -> None:
    other = build_company(GenerationParams(seed=6, customers=60, months=8, as_of=PARAMS.as_of))
    assert other.tables["res_partner"] != company.tables["res_partner"]


def test_history_start_is_months_before_as_of() -> None:
    assert history_start(dt.date(2026, 4, 30), 24) == dt.date(2024, 5, 1)
    assert history_start(dt.date(2026, 3, 31), 1) == dt.date(2026, 3, 1)  # February has no 31st


def test_rows_have_the_contract_columns_and_ids_in_order(company: Company) -> None:
    for table, rows in company.tables.items():
        assert rows, table
        assert all(len(row) == len(COLUMNS[table]) for row in rows)
        assert [row[0] for row in rows] == list(range(1, len(rows) + 1))


def test_nothing_is_dated_or_written_after_as_of(company: Company) -> None:
    for table, rows in company.tables.items():
        for row in rows:
            for value in row:
                if isinstance(value, dt.datetime):
                    assert value <= END_OF_AS_OF, table
                elif isinstance(value, dt.date) and table != "account_move":  # due dates may lie ahead
                    assert value <= PARAMS.as_of, table
            record = dict(zip(COLUMNS[table], row, strict=True))
            assert record["create_date"] <= record["write_date"]  # type: ignore[operator]


def test_allocations_and_credits_never_exceed_payments_or_invoices(company: Company) -> None:
    moves = {m["id"]: m for m in _rows(company, "account_move")}
    allocated_by_payment: dict[object, Decimal] = defaultdict(Decimal)
    settled_by_invoice: dict[object, Decimal] = defaultdict(Decimal)
    for allocation in _rows(company, "account_partial_reconcile"):
        allocated_by_payment[allocation["payment_id"]] += allocation["amount"]  # type: ignore[operator]
        settled_by_invoice[allocation["invoice_id"]] += allocation["amount"]  # type: ignore[operator]
    for move in moves.values():
        if move["move_type"] == "out_refund":
            settled_by_invoice[move["reversed_entry_id"]] += move["amount_total"]  # type: ignore[operator]
    payments = {p["id"]: p for p in _rows(company, "account_payment")}
    for payment_id, allocated in allocated_by_payment.items():
        assert payments[payment_id]["state"] == "posted"
        assert allocated <= payments[payment_id]["amount"]  # type: ignore[operator]
    for invoice_id, settled in settled_by_invoice.items():
        invoice = moves[invoice_id]
        assert invoice["move_type"] == "out_invoice" and invoice["state"] == "posted"
        assert settled + invoice["amount_residual"] == invoice["amount_total"]  # type: ignore[operator]


def test_each_invoice_total_is_its_lines_plus_tax(company: Company) -> None:
    untaxed: dict[object, Decimal] = defaultdict(Decimal)
    for line in _rows(company, "account_move_line"):
        untaxed[line["move_id"]] += line["price_subtotal"]  # type: ignore[operator]
        assert line["tax_rate"] in (Decimal("0.16"), Decimal("0.08"))
    for move in _rows(company, "account_move"):
        assert untaxed[move["id"]] == move["amount_untaxed"]
        assert move["amount_untaxed"] + move["amount_tax"] == move["amount_total"]  # type: ignore[operator]
