"""An :class:`AnomalyBook` straight from a generated company, as a warehouse fed by a daily ERP
extract would hold it on ``as_of``: every invoice seen when it was posted, each earlier version
of a changed row (``company.extras.versions``), e-mails only as hashes.

The evaluation (``cartera anomalies evaluate``) uses it so that a 24-month book is judged in
seconds without a database; :mod:`cartera.anomalies.from_warehouse` builds the same frames from
``raw``/``marts``/``ops`` for the daily run.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pandas as pd

from cartera.anomalies.book import COLUMNS, AnomalyBook, key_of
from cartera.synthetic.anomalies import records
from cartera.synthetic.company import Company

Record = dict[str, Any]


def _frame(name: str, rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=list(COLUMNS[name]))


def _rates(company: Company) -> dict[dt.date, float]:
    return {r["name"]: float(r["rate_to_mxn"]) for r in records(company, "res_currency_rate") if r["currency"] == "USD"}


def _to_mxn(rates: dict[dt.date, float], currency: str, amount: Decimal, day: dt.date) -> float:
    if currency == "MXN":
        return float(amount)
    for back in range(10):
        rate = rates.get(day - dt.timedelta(days=back))
        if rate is not None:
            return float(amount) * rate
    return float(amount) * 18.5


def book_from_company(company: Company, as_of: dt.date) -> AnomalyBook:
    """The frames of :data:`cartera.anomalies.book.COLUMNS` for ``company`` on ``as_of``."""
    extras = company.extras
    versions: dict[str, list[Record]] = defaultdict(list, extras.versions if extras else {})
    rates = _rates(company)
    moves = records(company, "account_move")
    invoices = [m for m in moves if m["move_type"] == "out_invoice" and m["state"] == "posted"]
    notes = [m for m in moves if m["move_type"] == "out_refund" and m["state"] == "posted"]
    payments = records(company, "account_payment")
    allocations = records(company, "account_partial_reconcile")
    posted = {p["id"] for p in payments if p["state"] == "posted"}

    # settlement, as int_invoice_settlement_as_of: posted payments' allocations and credit notes
    events: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for a in allocations:
        if a["payment_id"] in posted:
            events[a["invoice_id"]].append((a["max_date"], a["amount"]))
    for n in notes:
        events[n["reversed_entry_id"]].append((n["invoice_date"], n["amount_total"]))
    prior = {v["id"]: v for v in versions["account_move"]}

    inv_rows, version_rows = [], []
    for m in invoices:
        settled, running = None, Decimal(0)
        for day, amount in sorted(events.get(m["id"], [])):
            running += amount
            if running >= m["amount_total"]:
                settled = max(day, m["invoice_date"])
                break
        customer = str(m["partner_id"])
        inv_rows.append(
            (str(m["id"]), m["name"], str(m["l10n_mx_edi_cfdi_uuid"]), customer, m["invoice_date"],
             m["invoice_date_due"], m["currency"], float(m["amount_total"]),
             _to_mxn(rates, m["currency"], m["amount_total"], m["invoice_date"]), settled, m["create_date"], True)
        )  # fmt: skip
        first = prior.get(m["id"], m)
        version_rows.append((str(m["id"]), customer, first["invoice_date"], first["invoice_date_due"],
                             float(first["amount_total"]), m["create_date"]))  # fmt: skip
        if m["write_date"] > m["create_date"]:
            version_rows.append((str(m["id"]), customer, m["invoice_date"], m["invoice_date_due"],
                                 float(m["amount_total"]), m["write_date"]))  # fmt: skip

    note_rows = [
        (str(n["id"]), str(n["partner_id"]), str(n["reversed_entry_id"]), n["invoice_date"], n["currency"],
         float(n["amount_total"]), _to_mxn(rates, n["currency"], n["amount_total"], n["invoice_date"]))
        for n in notes
    ]  # fmt: skip

    payment_rows = []
    for p in [*versions["account_payment"], *payments]:
        payment_rows.append((str(p["id"]), str(p["partner_id"]), p["date"], p["currency"], float(p["amount"]),
                             _to_mxn(rates, p["currency"], p["amount"], p["date"]), p["state"], p["write_date"]))  # fmt: skip
    alloc_rows = [(str(a["id"]), str(a["payment_id"]), str(a["invoice_id"]), float(a["amount"]), a["max_date"])
                  for a in allocations]  # fmt: skip

    customers = records(company, "res_partner")
    customer_rows = [(str(c["id"]), c["payment_term_days"], float(c["credit_limit"]), c["credit_limit_currency"],
                      c["write_date"]) for c in [*versions["res_partner"], *customers]]  # fmt: skip
    contact_rows = [
        (str(c["id"]), str(c["partner_id"]), key_of(c["email"]), key_of(c["email"].split("@")[-1]), c["write_date"])
        for c in [*versions["res_partner_contact"], *records(company, "res_partner_contact")]
    ]
    requests = [(str(m["partner_id"]), m["create_date"]) for m in invoices]
    activity = [(r["recorded_by"], r["recorded_at"], r["kind"], r["customer_id"])
                for r in (extras.collector_activity if extras else [])]  # fmt: skip
    rfcs = [(str(c["id"]), c["vat"]) for c in customers]
    published = extras.sat_69b_published if extras else None
    sat = [(r["rfc"], r["situation"], r["presumed_published"], published) for r in (extras.sat_69b if extras else [])]

    cutoff = _end_of(as_of)
    frames = {
        "invoices": _frame("invoices", [r for r in inv_rows if r[4] <= as_of]),
        "invoice_versions": _frame("invoice_versions", [r for r in version_rows if r[5] <= cutoff]),
        "credit_notes": _frame("credit_notes", [r for r in note_rows if r[3] <= as_of]),
        "payment_versions": _frame("payment_versions", [r for r in payment_rows if r[7] <= cutoff]),
        "allocations": _frame("allocations", [r for r in alloc_rows if r[4] <= as_of]),
        "customer_versions": _frame("customer_versions", [r for r in customer_rows if r[4] <= cutoff]),
        "contact_versions": _frame("contact_versions", [r for r in contact_rows if r[4] <= cutoff]),
        "requests": _frame("requests", [r for r in requests if r[1] <= cutoff]),
        "collector_activity": _frame("collector_activity", [r for r in activity if r[1] <= cutoff]),
        "customer_rfcs": _frame("customer_rfcs", rfcs),
        "sat_69b": _frame("sat_69b", [r for r in sat if r[3] is not None and r[3] <= as_of]),
    }
    return AnomalyBook(as_of, frames)


def _end_of(day: dt.date) -> dt.datetime:
    from cartera.run_dates import BOOKS_TZ

    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=BOOKS_TZ).astimezone(dt.UTC)
