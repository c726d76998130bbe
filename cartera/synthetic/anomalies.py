"""Labelled anomalies injected into a generated company, for evaluating the detectors (issue #14).

Off by default: :func:`inject` runs only when ``BookOptions.anomaly_rate`` (or ``history``) is set,
so the default book stays byte-identical. Each anomaly type is injected into ``rate`` of its
natural unit (invoices, credit notes, payments, customers, collector-days), at least
:data:`MIN_PER_TYPE` of each so a recall is more than a coin toss. The labels are kept aside in
:class:`EvaluationExtras` (never written to the ERP tables the detectors read through the warehouse).

The ERP keeps one version per row; a warehouse fed by a daily extract keeps every version. So the
injections that are *changes* (an invoice edited after posting, a contact e-mail or a credit limit
changed, a payment reversed) record the row as it was before in ``versions``, which is what a daily
extract would have landed. ``history`` adds benign changes of the same kinds (credit-limit reviews,
e-mails changed within the company's domain, a few domain moves) so the clean book is not
artificially free of them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cartera.synthetic.business_days import office_instant
from cartera.synthetic.schema import COLUMNS

if TYPE_CHECKING:
    from cartera.synthetic.company import Company

MIN_PER_TYPE = 5
Record = dict[str, Any]

KINDS = (
    "duplicate_invoice",
    "invoice_backdated",
    "invoice_edited",
    "credit_note_after_payment",
    "credit_note_unusual",
    "payment_reversal",
    "unapplied_cash",
    "contact_changed_before_request",
    "terms_changed",
    "payment_deterioration",
    "collector_bulk_actions",
    "sat_69b_listed",
)


@dataclass(frozen=True, slots=True)
class AnomalyLabel:
    """One injected anomaly: its kind, the entity the alert should name and when it happened."""

    kind: str
    entity_type: str  # invoice, credit_note, payment, customer, collector_day
    entity_id: str
    customer_id: str | None
    day: dt.date


@dataclass(slots=True)
class EvaluationExtras:
    """What the evaluation book holds besides the ERP tables: the labels (ground truth), earlier
    row versions per ERP table, the collectors' activity log and a 69-B list in its CSV's fields.
    ``native`` lists ground truth the generator already had (deteriorating customers)."""

    labels: list[AnomalyLabel] = field(default_factory=list)
    native: list[AnomalyLabel] = field(default_factory=list)
    versions: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    collector_activity: list[Record] = field(default_factory=list)
    sat_69b: list[Record] = field(default_factory=list)
    sat_69b_published: dt.date | None = None


def records(company: Company, table: str) -> list[Record]:
    return [dict(zip(COLUMNS[table], row, strict=True)) for row in company.tables[table]]


def _rows(items: list[Record], table: str) -> list[tuple[Any, ...]]:
    return [tuple(item[c] for c in COLUMNS[table]) for item in items]


def _count(rate: float, units: int) -> int:
    return 0 if rate <= 0 or units == 0 else min(units, max(MIN_PER_TYPE, round(rate * units)))


class _Injector:
    def __init__(self, company: Company, as_of: dt.date, seed: int, rate: float) -> None:
        self.as_of, self.rate = as_of, rate
        self.rng = random.Random(seed * 7_919 + 14)
        self.t = {table: records(company, table) for table in company.tables}
        self.extras = EvaluationExtras()
        self.used_invoices: set[int] = set()
        self.used_customers: set[int] = set()
        moves = self.t["account_move"]
        self.invoices = [m for m in moves if m["move_type"] == "out_invoice" and m["state"] == "posted"]
        self.refunded = {m["reversed_entry_id"] for m in moves if m["move_type"] == "out_refund"}
        self.allocs: dict[int, list[Record]] = defaultdict(list)  # by invoice
        self.allocs_by_payment: dict[int, list[Record]] = defaultdict(list)
        for a in self.t["account_partial_reconcile"]:
            self.allocs[a["invoice_id"]].append(a)
            self.allocs_by_payment[a["payment_id"]].append(a)

    # --- helpers -------------------------------------------------------------------------------
    def label(self, kind: str, entity_type: str, entity_id: int | str, customer: int | None, day: dt.date) -> None:
        self.extras.labels.append(
            AnomalyLabel(kind, entity_type, str(entity_id), None if customer is None else str(customer), day)
        )

    def pick(self, pool: list[Record], n: int, key: str = "id") -> list[Record]:
        pool = [p for p in pool if p[key] not in self.used_invoices] if key == "id" else pool
        chosen = self.rng.sample(pool, min(n, len(pool)))
        return sorted(chosen, key=lambda r: r["id"])

    def next_id(self, table: str) -> int:
        return max((r["id"] for r in self.t[table]), default=0) + 1

    def next_folio(self, prefix: str, year: int) -> str:
        used = [
            int(m["name"].rsplit("/", 1)[1])
            for m in self.t["account_move"]
            if m["name"].startswith(f"{prefix}/{year}/")
        ]
        return f"{prefix}/{year}/{max(used, default=0) + 1:05d}"

    def instant(self, day: dt.date, not_before: dt.datetime | None = None) -> dt.datetime:
        return office_instant(self.rng, min(day, self.as_of), not_before=not_before)

    def settled_on(self, invoice: Record) -> dt.date | None:
        rows = self.allocs.get(invoice["id"], [])
        if invoice["id"] in self.refunded or sum(a["amount"] for a in rows) < invoice["amount_total"]:
            return None
        last: dt.date = max(a["max_date"] for a in rows)
        return last

    def add_move(self, move: Record, lines: list[Record]) -> None:
        self.t["account_move"].append(move)
        next_line = self.next_id("account_move_line")
        for offset, line in enumerate(lines):
            self.t["account_move_line"].append(
                {**line, "id": next_line + offset, "move_id": move["id"], "create_date": move["create_date"],
                 "write_date": move["create_date"]}
            )  # fmt: skip

    # --- invoices ------------------------------------------------------------------------------
    def duplicates(self) -> None:
        lines_of: dict[int, list[Record]] = defaultdict(list)
        for line in self.t["account_move_line"]:
            lines_of[line["move_id"]].append(line)
        pool = [m for m in self.invoices if m["invoice_date"] <= self.as_of - dt.timedelta(days=3)]
        for original in self.pick(pool, _count(self.rate, len(self.invoices))):
            day = min(original["invoice_date"] + dt.timedelta(days=self.rng.randint(0, 5)), self.as_of)
            created = self.instant(day, original["create_date"])
            uuid = original["l10n_mx_edi_cfdi_uuid"] if self.rng.random() < 0.5 else _uuid(self.rng)
            move = {
                **original,
                "id": self.next_id("account_move"),
                "name": self.next_folio("INV", day.year),
                "invoice_date": day,
                "invoice_date_due": day + (original["invoice_date_due"] - original["invoice_date"]),
                "amount_residual": original["amount_total"],
                "payment_state": "not_paid",
                "l10n_mx_edi_cfdi_uuid": uuid,
                "create_date": created,
                "write_date": created,
            }
            self.add_move(move, lines_of[original["id"]])
            self.used_invoices |= {original["id"], move["id"]}
            self.label("duplicate_invoice", "invoice", move["id"], move["partner_id"], day)

    def backdated(self) -> None:
        pool = [m for m in self.invoices if m["invoice_date"] >= self.as_of - dt.timedelta(days=300)]
        for move in self.pick(pool, _count(self.rate, len(self.invoices))):
            back = dt.timedelta(days=self.rng.randint(20, 60))
            move["invoice_date"] -= back
            move["invoice_date_due"] -= back
            self.used_invoices.add(move["id"])
            self.label("invoice_backdated", "invoice", move["id"], move["partner_id"], move["create_date"].date())

    def edited(self) -> None:
        pool = [m for m in self.invoices if m["create_date"].date() <= self.as_of - dt.timedelta(days=10)]
        for move in self.pick(pool, _count(self.rate, len(self.invoices))):
            before = dict(move)
            before["write_date"] = move["create_date"]
            at = self.instant(
                move["create_date"].date() + dt.timedelta(days=self.rng.randint(5, 40)), move["create_date"]
            )
            if move["id"] not in self.allocs and self.rng.random() < 0.5:
                factor = Decimal(str(round(self.rng.uniform(0.5, 0.85), 2)))
                untaxed = (move["amount_untaxed"] * factor).quantize(Decimal("0.01"))
                tax = (move["amount_tax"] * factor).quantize(Decimal("0.01"))
                move.update(amount_untaxed=untaxed, amount_tax=tax, amount_total=untaxed + tax,
                            amount_residual=untaxed + tax)  # fmt: skip
            else:  # the due date pushed out: an overdue invoice made to look current
                move["invoice_date_due"] += dt.timedelta(days=self.rng.choice((30, 45, 60)))
            move["write_date"] = max(move["write_date"], at)
            self.extras.versions["account_move"].append(before)
            self.used_invoices.add(move["id"])
            self.label("invoice_edited", "invoice", move["id"], move["partner_id"], at.date())

    # --- credit notes --------------------------------------------------------------------------
    def credit_note(self, invoice: Record, day: dt.date, total: Decimal, reason: str) -> Record:
        rate = Decimal("0.08") if invoice["amount_tax"] * 100 < invoice["amount_untaxed"] * 9 else Decimal("0.16")
        untaxed = (total / (1 + rate)).quantize(Decimal("0.01"))
        created = self.instant(day, invoice["create_date"])
        note = {
            **invoice,
            "id": self.next_id("account_move"),
            "name": self.next_folio("RINV", day.year),
            "move_type": "out_refund",
            "invoice_date": day,
            "invoice_date_due": day,
            "amount_untaxed": untaxed,
            "amount_tax": total - untaxed,
            "amount_total": total,
            "amount_residual": Decimal("0.00"),
            "payment_state": "paid",
            "reversed_entry_id": invoice["id"],
            "l10n_mx_edi_cfdi_uuid": _uuid(self.rng),
            "refund_reason": reason,
            "create_date": created,
            "write_date": created,
        }
        line = {"name": f"{reason} (factura {str(invoice['l10n_mx_edi_cfdi_uuid'])[:8]})", "product_code": "BONIF",
                "quantity": Decimal(1), "price_unit": untaxed, "tax_rate": rate, "price_subtotal": untaxed}  # fmt: skip
        self.add_move(note, [line])
        self.used_invoices.add(invoice["id"])
        return note

    def credit_after_payment(self) -> None:
        notes = sum(1 for m in self.t["account_move"] if m["move_type"] == "out_refund")
        pool = []
        for m in self.invoices:
            settled = self.settled_on(m)
            if settled is not None and settled <= self.as_of - dt.timedelta(days=12):
                pool.append(m)
        for invoice in self.pick(pool, _count(self.rate, max(notes, len(self.invoices) // 40))):
            settled = self.settled_on(invoice)
            assert settled is not None  # the pool holds settled invoices only
            day = settled + dt.timedelta(days=self.rng.randint(1, 10))
            share = Decimal(1) if self.rng.random() < 0.5 else Decimal(str(round(self.rng.uniform(0.3, 0.9), 2)))
            total = (invoice["amount_total"] * share).quantize(Decimal("0.01"))
            note = self.credit_note(invoice, day, total, "Bonificación comercial")
            self.label("credit_note_after_payment", "credit_note", note["id"], invoice["partner_id"], day)

    def credit_unusual(self) -> None:
        notes = sum(1 for m in self.t["account_move"] if m["move_type"] == "out_refund")
        step = {"MXN": Decimal(1000), "USD": Decimal(100)}
        pool = [m for m in self.invoices if m["id"] not in self.allocs and m["id"] not in self.refunded
                and m["amount_total"] >= 2 * step[m["currency"]] and m["invoice_date"] <= self.as_of - dt.timedelta(days=5)]  # fmt: skip
        for invoice in self.pick(pool, _count(self.rate, max(notes, len(self.invoices) // 40))):
            unit = step[invoice["currency"]]
            total = max(unit, (invoice["amount_total"] * Decimal(str(self.rng.uniform(0.5, 0.95))) // unit) * unit)
            day = min(invoice["invoice_date"] + dt.timedelta(days=self.rng.randint(1, 20)), self.as_of)
            note = self.credit_note(invoice, day, total.quantize(Decimal("0.01")), "Ajuste comercial")
            self.label("credit_note_unusual", "credit_note", note["id"], invoice["partner_id"], day)

    # --- payments ------------------------------------------------------------------------------
    def reversals(self) -> None:
        payments = self.t["account_payment"]
        pool = [p for p in payments if p["state"] == "posted" and self.allocs_by_payment.get(p["id"])
                and p["date"] <= self.as_of - dt.timedelta(days=30)]  # fmt: skip
        chosen = self.rng.sample(pool, min(_count(self.rate, len(payments)), len(pool)))
        for payment in sorted(chosen, key=lambda p: p["id"]):
            self.extras.versions["account_payment"].append(dict(payment))
            at = self.instant(payment["date"] + dt.timedelta(days=self.rng.randint(5, 25)), payment["write_date"])
            payment.update(state="cancel", write_date=at)
            self.label("payment_reversal", "payment", payment["id"], payment["partner_id"], at.date())
        self.reversed = {p["id"] for p in chosen}

    def unapplied(self) -> None:
        payments = self.t["account_payment"]
        pool = [p for p in payments if p["state"] == "posted" and p["id"] not in self.reversed
                and self.allocs_by_payment.get(p["id"]) and p["date"] <= self.as_of - dt.timedelta(days=15)]  # fmt: skip
        chosen = self.rng.sample(pool, min(_count(self.rate, len(payments)), len(pool)))
        dropped = {a["id"] for p in chosen for a in self.allocs_by_payment[p["id"]]}
        self.t["account_partial_reconcile"] = [a for a in self.t["account_partial_reconcile"] if a["id"] not in dropped]
        for payment in sorted(chosen, key=lambda p: p["id"]):
            self.label("unapplied_cash", "payment", payment["id"], payment["partner_id"], payment["date"])


def _uuid(rng: random.Random) -> str:
    import uuid

    return str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()


def inject(company: Company, *, as_of: dt.date, seed: int, rate: float, history: bool) -> Company:
    """``company`` with anomalies of every kind at ``rate`` (and benign history when ``history``),
    the labels and earlier row versions in ``company.extras``. Deterministic for the arguments."""
    from cartera.synthetic.anomaly_history import inject_history

    injector = _Injector(company, as_of, seed, rate)
    injector.duplicates()
    injector.backdated()
    injector.edited()
    injector.credit_after_payment()
    injector.credit_unusual()
    injector.reversals()
    injector.unapplied()
    inject_history(injector, history=history)
    tables = {table: _rows(sorted(rows, key=lambda r: r["id"]), table) for table, rows in injector.t.items()}
    return replace(company, tables=tables, extras=injector.extras)
