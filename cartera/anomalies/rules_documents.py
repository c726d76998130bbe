"""Rules on documents: duplicated invoices, invoices backdated or edited after posting, credit
notes after payment, payments reversed after they were applied, and cash left unapplied.

Each rule is a function of an :class:`AnomalyBook` returning :class:`Finding`s; thresholds are
module constants, documented in docs/anomalies.md. Reasons carry ids, dates and amounts only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from cartera.anomalies.book import AnomalyBook, Finding, Reason

DUPLICATE_WINDOW_DAYS = 7
BACKDATED_DAYS = 7
LIVE_CAPTURE = dt.timedelta(days=2)
CREDIT_AFTER_PAYMENT_DAYS = 60
UNAPPLIED_AGE_DAYS = 10
UNAPPLIED_SHARE = 0.5
UNAPPLIED_MIN_MXN = 1_000.0


def _money(value: float, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def duplicate_invoices(book: AnomalyBook) -> list[Finding]:
    """The later of two invoices of one customer with the same total and currency issued within
    :data:`DUPLICATE_WINDOW_DAYS` days, or sharing a CFDI folio fiscal or a folio."""
    inv = book["invoices"].sort_values(["issue_date", "first_seen", "invoice_id"])
    found: dict[str, Finding] = {}

    def add(original: Any, dup: Any, why: Reason) -> None:
        if dup.invoice_id in found:
            return
        found[dup.invoice_id] = Finding(
            "duplicate_invoice", "high", "invoice", dup.invoice_id, dup.customer_id, dup.issue_date,
            (original.invoice_id, dup.invoice_id), (why,),
        )  # fmt: skip

    keys = ["customer_id", "currency", "total_amount"]
    same = inv[inv.duplicated(keys, keep=False)]
    for _, group in same.groupby(keys, sort=False):
        rows = list(group.itertuples(index=False))
        for earlier, later in zip(rows, rows[1:], strict=False):
            gap = (later.issue_date - earlier.issue_date).days
            if gap <= DUPLICATE_WINDOW_DAYS:
                add(earlier, later, Reason(
                    f"Mismo cliente e importe ({_money(later.total_amount, later.currency)}) que la factura "
                    f"{earlier.invoice_id}, emitida {gap} días antes",
                    f"Same customer and amount ({_money(later.total_amount, later.currency)}) as invoice "
                    f"{earlier.invoice_id}, issued {gap} days earlier",
                ))  # fmt: skip
    for column, es, en in (("cfdi_uuid", "folio fiscal (CFDI)", "CFDI UUID"), ("invoice_number", "folio", "folio")):
        known = inv[inv[column].notna() & (inv[column] != "")]
        for _, group in known[known.duplicated(column, keep=False)].groupby(column, sort=False):
            rows = list(group.itertuples(index=False))
            for later in rows[1:]:
                add(rows[0], later, Reason(f"Mismo {es} que la factura {rows[0].invoice_id}",
                                           f"Same {en} as invoice {rows[0].invoice_id}"))  # fmt: skip
    return list(found.values())


def backdated_invoices(book: AnomalyBook) -> list[Finding]:
    """Invoices posted more than :data:`BACKDATED_DAYS` days after their issue date (only those
    whose first version was extracted live: a bulk load says nothing about when it was posted)."""
    from cartera.run_dates import BOOKS_TZ

    found = []
    for row in book["invoices"].itertuples(index=False):
        if not row.seen_live or pd.isna(row.first_seen):
            continue
        posted = row.first_seen.astimezone(BOOKS_TZ).date()
        gap = (posted - row.issue_date).days
        if gap > BACKDATED_DAYS:
            other_month = (posted.year, posted.month) != (row.issue_date.year, row.issue_date.month)
            found.append(Finding(
                "invoice_backdated", "high" if other_month else "warning", "invoice", row.invoice_id,
                row.customer_id, posted, (row.issue_date.isoformat(), posted.isoformat()),
                (Reason(f"Registrada el {posted} con fecha de emisión {row.issue_date} ({gap} días antes"
                        f"{', en un mes anterior' if other_month else ''})",
                        f"Posted on {posted} with issue date {row.issue_date} ({gap} days earlier"
                        f"{', in an earlier month' if other_month else ''})"),),
            ))  # fmt: skip
    return found


def edited_invoices(book: AnomalyBook) -> list[Finding]:
    """Invoices whose total, dates or customer changed after the first version was posted."""
    versions = book["invoice_versions"].sort_values(["invoice_id", "updated_at"])
    fields = (("total_amount", "importe", "total"), ("issue_date", "fecha de emisión", "issue date"),
              ("due_date", "vencimiento", "due date"), ("customer_id", "cliente", "customer"))  # fmt: skip
    columns = [c for c, _, _ in fields]
    grouped = versions.groupby("invoice_id", sort=False)[columns]
    first, last = grouped.first(), grouped.last()
    changed_ids = first.index[first.ne(last).any(axis=1)]
    found = []
    for invoice_id in changed_ids:
        group = versions[versions.invoice_id == invoice_id]
        initial, final = group.iloc[0], group.iloc[-1]
        differs = [(c, es, en) for c, es, en in fields if initial[c] != final[c]]
        reasons = tuple(
            Reason(f"Se cambió {es} de {initial[c]} a {final[c]} después de registrarla",
                   f"{en.capitalize()} changed from {initial[c]} to {final[c]} after posting")
            for c, es, en in differs
        )  # fmt: skip
        moved = group[group[columns].ne(initial[columns]).any(axis=1)]
        day = moved.updated_at.iloc[0].date()
        facts = (str(invoice_id), *(f"{c}={final[c]}" for c, _, _ in differs))
        found.append(Finding("invoice_edited", "high", "invoice", str(invoice_id), str(final["customer_id"]),
                             day, facts, reasons))  # fmt: skip
    return found


def credit_notes_after_payment(book: AnomalyBook) -> list[Finding]:
    """Credit notes issued on an invoice already fully paid, within :data:`CREDIT_AFTER_PAYMENT_DAYS`
    days of its payment: the credit cancels a debt that no longer exists."""
    totals = dict(zip(book["invoices"].invoice_id, book["invoices"].total_amount, strict=True))
    allocations = book["allocations"]
    allocations = allocations[allocations.invoice_id.isin(set(book["credit_notes"].invoice_id))]
    by_invoice = {i: g.sort_values("allocation_date") for i, g in allocations.groupby("invoice_id")}
    found = []
    for note in book["credit_notes"].itertuples(index=False):
        total, paid = totals.get(note.invoice_id), by_invoice.get(note.invoice_id)
        if total is None or paid is None:
            continue
        paid = paid[paid.allocation_date <= note.issue_date]
        if paid.empty or paid.amount.sum() < float(total) - 0.01:
            continue
        paid_on = paid.sort_values("allocation_date").allocation_date.iloc[-1]
        days = (note.issue_date - paid_on).days
        if days <= CREDIT_AFTER_PAYMENT_DAYS:
            found.append(Finding(
                "credit_note_after_payment", "high", "credit_note", note.credit_note_id, note.customer_id,
                note.issue_date, (note.credit_note_id, note.invoice_id),
                (Reason(f"Nota de crédito por {_money(note.total_amount, note.currency)} sobre la factura "
                        f"{note.invoice_id}, pagada por completo {days} días antes",
                        f"Credit note of {_money(note.total_amount, note.currency)} on invoice {note.invoice_id}, "
                        f"paid in full {days} days earlier"),),
            ))  # fmt: skip
    return found


def _latest_payments(book: AnomalyBook) -> pd.DataFrame:
    versions = book["payment_versions"].sort_values(["payment_id", "updated_at"])
    latest = versions.groupby("payment_id", sort=False).tail(1).set_index("payment_id")
    latest["was_posted"] = versions[versions.status == "posted"].groupby("payment_id").size().reindex(
        latest.index, fill_value=0) > 0  # fmt: skip
    return latest


def reversed_payments(book: AnomalyBook) -> list[Finding]:
    """Payments cancelled after they had been applied to invoices: the invoices reopen. (A cheque
    that bounced before anyone applied it is ordinary and not raised.)"""
    latest = _latest_payments(book)
    applied = book["allocations"].groupby("payment_id").agg(n=("invoice_id", "nunique"), amount=("amount", "sum"))
    found = []
    for payment_id, row in latest[latest.status == "cancel"].iterrows():
        if payment_id not in applied.index:
            continue
        n, amount = int(applied.loc[payment_id, "n"]), float(applied.loc[payment_id, "amount"])
        day = row.updated_at.date()
        found.append(Finding(
            "payment_reversal", "high", "payment", str(payment_id), str(row.customer_id), day,
            (str(payment_id), "cancel"),
            (Reason(f"Pago del {row.payment_date} cancelado el {day} después de aplicarse a {n} factura(s) por "
                    f"{_money(amount, row.currency)}: esas facturas vuelven a estar abiertas",
                    f"Payment of {row.payment_date} cancelled on {day} after it was applied to {n} invoice(s) for "
                    f"{_money(amount, row.currency)}: those invoices are open again"),),
        ))  # fmt: skip
    return found


def unapplied_cash(book: AnomalyBook) -> list[Finding]:
    """Posted payments older than :data:`UNAPPLIED_AGE_DAYS` days with less than half applied and
    at least :data:`UNAPPLIED_MIN_MXN` MXN left: cash received that pays nothing."""
    latest = _latest_payments(book)
    applied = book["allocations"].groupby("payment_id").amount.sum()
    oldest = book.as_of - dt.timedelta(days=UNAPPLIED_AGE_DAYS)
    latest = latest[(latest.status == "posted") & (latest.payment_date <= oldest)].copy()
    latest["done"] = applied.reindex(latest.index).fillna(0.0).to_numpy()
    latest["left"] = latest.amount - latest.done
    latest["left_mxn"] = latest.left * (latest.amount_mxn / latest.amount.where(latest.amount != 0, 1.0))
    flagged = latest[(latest.done < UNAPPLIED_SHARE * latest.amount) & (latest.left_mxn >= UNAPPLIED_MIN_MXN)]
    found = []
    for payment_id, row in flagged.iterrows():
        left, left_mxn = float(row.left), float(row.left_mxn)
        age = (book.as_of - row.payment_date).days
        found.append(Finding(
            "unapplied_cash", "high" if left_mxn >= 100_000 else "warning", "payment", str(payment_id),
            str(row.customer_id), row.payment_date, (str(payment_id),),
            (Reason(f"Pago recibido hace {age} días con {_money(left, row.currency)} sin aplicar a ninguna factura",
                    f"Payment received {age} days ago with {_money(left, row.currency)} not applied to any invoice"),),
        ))  # fmt: skip
    return found
