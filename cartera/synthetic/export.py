"""The generated company as a flat invoice export: one row per posted invoice, the way a finance
team exports its receivables from an ERP (``cartera generate --csv``).

Settlement follows the warehouse's rules (``int_invoice_settlement_as_of``): posted payments'
allocations and posted credit notes, each dated no earlier than the invoice; the paid date is the
day the running total first covers the invoice; an invoice with a balance on ``as_of`` has none.
So a backtest on this file sees the same outcomes as the marts built from the same company.
Amounts are converted to MXN at the issue date's rate, as ``int_invoices_posted_as_of`` does.

No names, RFCs or contacts: the export carries ids, dates and amounts only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from cartera.synthetic.company import Company
from cartera.synthetic.schema import COLUMNS

# The columns of the export, in order (see docs/bring_your_own_invoices.md).
EXPORT_COLUMNS = (
    "invoice_id",
    "customer_id",
    "issue_date",
    "due_date",
    "currency",
    "amount",
    "amount_mxn",
    "paid_date",
    "disputed",
    "dispute_opened_date",
)


def _records(company: Company, table: str) -> list[dict[str, Any]]:
    return [dict(zip(COLUMNS[table], row, strict=True)) for row in company.tables[table]]


def _usd_rates(company: Company) -> dict[dt.date, Decimal]:
    return {r["name"]: r["rate_to_mxn"] for r in _records(company, "res_currency_rate") if r["currency"] == "USD"}


def _rate_on(rates: dict[dt.date, Decimal], day: dt.date) -> Decimal:
    # The generator writes a rate every calendar day; walk back in case a day is missing.
    for back in range(10):
        rate = rates.get(day - dt.timedelta(days=back))
        if rate is not None:
            return rate
    raise KeyError(f"no USD rate within 10 days before {day}")


def invoice_export(company: Company) -> pd.DataFrame:
    """One row per posted invoice with :data:`EXPORT_COLUMNS` (dates as ``datetime.date``, None when absent)."""
    moves = _records(company, "account_move")
    invoices = [m for m in moves if m["move_type"] == "out_invoice" and m["state"] == "posted"]
    issue = {m["id"]: m["invoice_date"] for m in invoices}
    posted_payments = {p["id"] for p in _records(company, "account_payment") if p["state"] == "posted"}

    # (invoice, date, kind, id, amount): the warehouse orders events by date, type, then id.
    events: dict[int, list[tuple[dt.date, str, int, Decimal]]] = {}
    for a in _records(company, "account_partial_reconcile"):
        if a["payment_id"] in posted_payments and a["invoice_id"] in issue:
            day = max(a["max_date"], issue[a["invoice_id"]])
            events.setdefault(a["invoice_id"], []).append((day, "payment", a["id"], a["amount"]))
    for m in moves:
        if m["move_type"] == "out_refund" and m["state"] == "posted" and m["reversed_entry_id"] in issue:
            day = max(m["invoice_date"], issue[m["reversed_entry_id"]])
            events.setdefault(m["reversed_entry_id"], []).append((day, "credit_note", m["id"], m["amount_total"]))

    disputes: dict[int, dt.date] = {}
    for d in _records(company, "collection_dispute"):
        if d["move_id"] in issue:
            disputes[d["move_id"]] = min(d["opened_date"], disputes.get(d["move_id"], d["opened_date"]))

    rates = _usd_rates(company)
    rows = []
    for m in invoices:
        total: Decimal = m["amount_total"]
        paid_date = None
        running = Decimal(0)
        for day, _, _, amount in sorted(events.get(m["id"], [])):
            if running < total <= running + amount:
                paid_date = day
            running += amount
        if total <= 0:
            paid_date = m["invoice_date"]  # a zero-total invoice is settled the day it is issued
        elif running < total:
            paid_date = None  # a balance is still open on as_of
        rate = Decimal(1) if m["currency"] == "MXN" else _rate_on(rates, m["invoice_date"])
        rows.append(
            {
                "invoice_id": str(m["id"]),
                "customer_id": str(m["partner_id"]),
                "issue_date": m["invoice_date"],
                "due_date": m["invoice_date_due"],
                "currency": m["currency"],
                "amount": total,
                "amount_mxn": (total * rate).quantize(Decimal("0.01")),
                "paid_date": paid_date,
                "disputed": m["id"] in disputes,
                "dispute_opened_date": disputes.get(m["id"]),
            }
        )
    return pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))


def _peso(value: float) -> str:
    text = f"{value:,.2f}"  # 12,345.67
    return "$" + text.replace(",", "X").replace(".", ",").replace("X", ".")  # $12.345,67


def _dmy(value: object) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).strftime("%d/%m/%Y")  # type: ignore[arg-type]


def spanish_export(frame: pd.DataFrame, path: Path) -> Path:
    """Write an :func:`invoice_export` frame the way a Mexican accounting system exports it: Windows-1252,
    `;`, a title line, dd/mm/yyyy, `$1.234,56`, M.N. for pesos and a total row (for import tests and
    benchmarks)."""
    lines = ["Antigüedad de saldos — Comercializadora del Pacífico, S.A. de C.V.", ""]
    lines.append("Folio;Cliente;Fecha de emisión;Fecha de vencimiento;Importe;Moneda;Importe MXN;Fecha de pago")
    for row in frame.itertuples(index=False):
        lines.append(
            ";".join(
                [
                    f"F-{row.invoice_id}",
                    f"CLI-{row.customer_id}",
                    _dmy(row.issue_date),
                    _dmy(row.due_date),
                    _peso(float(row.amount)),
                    "M.N." if row.currency == "MXN" else "USD",
                    _peso(float(row.amount_mxn)),
                    _dmy(row.paid_date),
                ]
            )
        )
    lines.append(f"Total;;;;{_peso(float(frame['amount'].astype(float).sum()))};;;")
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    return path


# English camelCase headers, as an ERP outside Mexico (or a BI tool) exports them.
ENGLISH_HEADERS = {
    "invoice_id": "invoiceNumber",
    "customer_id": "customerId",
    "issue_date": "invoiceDate",
    "due_date": "dueDate",
    "currency": "currency",
    "amount": "amount",
    "amount_mxn": "amountMxn",
    "paid_date": "paidDate",
    "disputed": "disputed",
    "dispute_opened_date": "disputeOpenedDate",
}


def styled_export(
    frame: pd.DataFrame,
    path: Path,
    *,
    english_headers: bool = False,
    us_dates: bool = False,
    currency_column: bool = True,
    disputes: bool = True,
) -> Path:
    """Write an :func:`invoice_export` frame as other companies' exports look: English camelCase
    headers, US dates (mm/dd/yyyy), no currency column (then no MXN amount either: the file only
    knows "amount"), no dispute columns. With every option off it is the canonical CSV."""
    out = frame.copy()
    if not currency_column:
        out = out.drop(columns=["currency", "amount_mxn"])
    if not disputes:
        out = out.drop(columns=["disputed", "dispute_opened_date"])
    if us_dates:
        for column in ("issue_date", "due_date", "paid_date", "dispute_opened_date"):
            if column in out.columns:
                out[column] = [
                    "" if pd.isna(v) else pd.Timestamp(v).strftime("%m/%d/%Y")  # type: ignore[arg-type]
                    for v in out[column]
                ]
    if english_headers:
        out = out.rename(columns=ENGLISH_HEADERS)
    out.to_csv(path, index=False)
    return path
