"""Every AR KPI of every day in fct_ar_kpi_daily, recomputed independently in Python from the raw
rows of a random book (MXN and USD invoices, partial payments, credit notes, a cancelled invoice,
daily USD rates with gaps), must match the mart to the cent.

The recomputation follows the definitions in fct_ar_kpi_daily.yml, not the SQL: balances day by
day from the documents, USD open amounts at each day's closing rate (the latest rate on or before
the day), the countback walking calendar months, simple / best possible DSO and average days
delinquent over the trailing 90 days, CEI over 30 days, the window ending on the last day with
posted data."""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from warehouse_builds import dbt_build, failures, load_raw_sql, query

pytestmark = pytest.mark.integration

AS_OF = dt.date(2026, 11, 24)
CENT = Decimal("0.01")
WINDOW_DAYS, MAX_MONTHS, PERIOD_DAYS, CEI_DAYS = 396, 24, 90, 30


def money(value: Decimal) -> Decimal:
    """numeric(18,2) / numeric(10,2): half away from zero, as Postgres casts."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def minus_months(day: dt.date, months: int) -> dt.date:
    """`day - interval 'n months'` in Postgres: the same day of the month, clamped to its end."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass
class Invoice:
    invoice_id: str
    customer_id: str
    issue_date: dt.date
    due_date: dt.date
    currency: str
    total: Decimal
    posted: bool = True
    events: list[tuple[dt.date, Decimal, str]] = field(
        default_factory=list
    )  # (date, amount, 'payment' | 'credit_note')


@dataclass
class Book:
    invoices: list[Invoice]
    usd_rates: dict[dt.date, Decimal]  # publications only (weekdays)

    def rate(self, currency: str, day: dt.date) -> Decimal:
        if currency == "MXN":
            return Decimal(1)
        return self.usd_rates[max(d for d in self.usd_rates if d <= day)]


def random_book(seed: int = 11) -> Book:
    rng = random.Random(seed)
    rates: dict[dt.date, Decimal] = {}
    level, day = 18.0, dt.date(2025, 6, 2)
    while day <= AS_OF:
        if day.weekday() < 5 and rng.random() > 0.05:  # weekdays, a few holidays without a publication
            level = min(max(level + rng.gauss(0, 0.08), 16.5), 20.5)
            rates[day] = Decimal(f"{level:.4f}")
        day += dt.timedelta(days=1)
    invoices = []
    for n in range(90):
        issue = dt.date(2025, 10, 1) + dt.timedelta(days=rng.randint(0, 415))
        issue = min(issue, AS_OF - dt.timedelta(days=2))
        currency = "USD" if rng.random() < 0.3 else "MXN"
        total = Decimal(rng.randint(50_000, 5_000_000)) / 100
        invoice = Invoice(
            f"R{n:03d}", f"K{n % 5}", issue, issue + dt.timedelta(days=rng.choice((15, 30, 60))), currency, total
        )
        invoice.posted = rng.random() > 0.03
        if rng.random() < 0.12:
            invoice.events.append((issue + dt.timedelta(days=3), money(total * Decimal("0.1")), "credit_note"))
        remaining = total - sum((amount for _, amount, _ in invoice.events), Decimal(0))
        paid_on = issue + dt.timedelta(days=rng.randint(-2, 120))  # a few advances applied before the issue
        if rng.random() < 0.75 and paid_on < AS_OF - dt.timedelta(days=1):
            share = Decimal(1) if rng.random() < 0.7 else Decimal(rng.randint(10, 90)) / 100
            invoice.events.append((paid_on, money(remaining * share), "payment"))
        invoices.append(invoice)
    return Book(invoices, rates)


def raw_sql(book: Book) -> str:
    values: dict[str, list[str]] = {"inv": [], "pay": [], "alloc": [], "cn": [], "fx": [], "cust": []}
    for k in range(5):
        values["cust"].append(f"('R', 'erp', 'K{k}', 'Cliente {k}', 'JAL', 30, '2025-01-01')")
    for day, rate in book.usd_rates.items():
        values["fx"].append(f"('R', 'erp', '{day}', 'USD', {rate}, '{day} 18:00+00')")
    for inv in book.invoices:
        subtotal = money(inv.total / Decimal("1.16"))
        status = "posted" if inv.posted else "cancel"
        values["inv"].append(
            f"('R', 'erp', '{inv.invoice_id}', 'F-{inv.invoice_id}', '{inv.customer_id}', '{inv.issue_date}', "
            f"'{inv.due_date}', '{inv.currency}', {subtotal}, {inv.total - subtotal}, {inv.total}, '{status}', "
            f"'{inv.issue_date} 12:00+00')"
        )
        for n, (day, amount, kind) in enumerate(inv.events):
            key = f"{inv.invoice_id}-{n}"
            if kind == "credit_note":
                values["cn"].append(
                    f"('R', 'erp', 'CN{key}', 'NC-{key}', '{inv.customer_id}', '{inv.invoice_id}', '{day}', "
                    f"'{inv.currency}', {amount}, 'descuento', 'posted', 'uuid-{key}', '{day} 12:00+00')"
                )
                continue
            values["pay"].append(
                f"('R', 'erp', 'P{key}', '{inv.customer_id}', '{day}', '{inv.currency}', {amount}, 'posted', '{day} 12:00+00')"
            )
            values["alloc"].append(
                f"('R', 'erp', 'A{key}', 'P{key}', '{inv.invoice_id}', {amount}, '{day}', '{day} 12:00+00')"
            )
    statements = [
        "insert into raw.customers (load_id, source, customer_id, customer_name, state_code, credit_terms_days, updated_at) values "
        + ", ".join(values["cust"]),
        "insert into raw.fx_rates (load_id, source, rate_date, currency, rate_to_mxn, updated_at) values "
        + ", ".join(values["fx"]),
        "insert into raw.invoices (load_id, source, invoice_id, invoice_number, customer_id, issue_date, due_date, "
        "currency, subtotal, tax, total, status, updated_at) values " + ", ".join(values["inv"]),
        "insert into raw.payments (load_id, source, payment_id, customer_id, payment_date, currency, amount, status, "
        "updated_at) values " + ", ".join(values["pay"]),
        "insert into raw.payment_allocations (load_id, source, allocation_id, payment_id, invoice_id, amount, "
        "allocation_date, updated_at) values " + ", ".join(values["alloc"]),
    ]
    if values["cn"]:
        statements.append(
            "insert into raw.credit_notes (load_id, source, credit_note_id, credit_note_number, customer_id, invoice_id, "
            "issue_date, currency, total, reason, status, cfdi_uuid, updated_at) values " + ", ".join(values["cn"])
        )
    return ";\n".join(statements) + ";"


def recompute(book: Book) -> dict[dt.date, dict[str, Any]]:
    """The KPIs of every day of the window, from the definitions."""
    posted = [inv for inv in book.invoices if inv.posted]
    # an event dated before its invoice counts on the issue date
    events = {inv.invoice_id: [(max(d, inv.issue_date), a) for d, a, _ in inv.events] for inv in posted}
    data_through = max([inv.issue_date for inv in posted] + [d for inv in posted for d, _ in events[inv.invoice_id]])
    issue_mxn = {inv.invoice_id: money(inv.total * book.rate(inv.currency, inv.issue_date)) for inv in posted}
    issue_rate = {inv.invoice_id: book.rate(inv.currency, inv.issue_date) for inv in posted}

    def balances(day: dt.date) -> dict[str, Decimal]:
        totals = dict.fromkeys(("ar", "issue", "overdue", "overdue_days", "open", "overdue_n"), Decimal(0))
        for inv in posted:
            if inv.issue_date > day:
                continue
            open_amount = max(
                inv.total - sum((a for d, a in events[inv.invoice_id] if d <= day), Decimal(0)), Decimal(0)
            )
            if open_amount <= 0:
                continue
            closing = money(open_amount * book.rate(inv.currency, day))
            totals["ar"] += closing
            totals["issue"] += money(open_amount * issue_rate[inv.invoice_id])
            totals["open"] += 1
            if day > inv.due_date:
                totals["overdue"] += closing
                totals["overdue_days"] += closing * (day - inv.due_date).days
                totals["overdue_n"] += 1
        return totals

    def sales(after: dt.date, through: dt.date) -> Decimal:
        """Credit sales in (after, through]."""
        return sum((issue_mxn[inv.invoice_id] for inv in posted if after < inv.issue_date <= through), Decimal(0))

    first_issue = min(inv.issue_date for inv in posted)
    days = [data_through - dt.timedelta(days=n) for n in range(WINDOW_DAYS)]
    kpis = {}
    for day in (d for d in days if d >= first_issue):
        b = balances(day)
        ar, current = b["ar"], b["ar"] - b["overdue"]
        dso = Decimal(0)
        for k in range(1, MAX_MONTHS + 1):
            month_end, month_start = minus_months(day, k - 1), minus_months(day, k)
            later, month_sales = sales(month_end, day), sales(month_start, month_end)
            if ar <= later:
                continue
            if ar >= later + month_sales:
                dso += (month_end - month_start).days
            else:
                dso += (ar - later) / month_sales * (month_end - month_start).days
        period_sales = sales(day - dt.timedelta(days=PERIOD_DAYS), day)
        simple = ar / period_sales * PERIOD_DAYS if period_sales else None
        best = current / period_sales * PERIOD_DAYS if period_sales else None
        beginning = balances(day - dt.timedelta(days=CEI_DAYS))["ar"]
        cei_sales = sales(day - dt.timedelta(days=CEI_DAYS), day)
        cei_denominator = beginning + cei_sales - current
        kpis[day] = {
            "data_through": data_through,
            "total_ar_mxn": ar,
            "open_mxn_at_issue_rate": b["issue"],
            "fx_revaluation_mxn": ar - b["issue"],
            "overdue_ar_mxn": b["overdue"],
            "pct_current": money(100 * current / ar) if ar else None,
            "dso_countback": money(dso),
            "dso_simple": money(simple) if simple is not None else None,
            "best_possible_dso": money(best) if best is not None else None,
            "avg_days_delinquent": money(simple - best) if simple is not None and best is not None else None,
            "avg_days_past_due_overdue": money(b["overdue_days"] / b["overdue"]) if b["overdue"] else None,
            "cei": money(100 * (beginning + cei_sales - ar) / cei_denominator) if cei_denominator else None,
            "open_invoices": int(b["open"]),
            "overdue_invoices": int(b["overdue_n"]),
        }
    return kpis


def test_every_kpi_of_every_day_matches_an_independent_recomputation_to_the_cent(fresh_db: str, tmp_path: Path) -> None:
    book = random_book()
    load_raw_sql(fresh_db, raw_sql(book))
    expected = recompute(book)

    result = dbt_build(fresh_db, as_of=AS_OF.isoformat(), work_dir=tmp_path)

    assert result.success, failures(result)
    rows = {row.pop("kpi_date"): row for row in query(fresh_db, "select * from marts.fct_ar_kpi_daily")}
    assert sorted(rows) == sorted(expected)
    assert max(expected) < AS_OF, "the book leaves the as-of day empty"
    assert any(kpi["fx_revaluation_mxn"] != 0 for kpi in expected.values())
    mismatches = [
        (day, name, rows[day][name], value)
        for day, kpis in sorted(expected.items())
        for name, value in kpis.items()
        if rows[day][name] != value
    ]
    assert mismatches == [], mismatches[:10]
