"""Injected anomalies about customers and people (master-data changes, slipping payments, the
collectors' log, SAT's 69-B list), and the benign history they must stand out from.

Called by :func:`cartera.synthetic.anomalies.inject`; see that module for the contract.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cartera.synthetic.business_days import office_instant
from cartera.synthetic.rfc import rfc_moral

if TYPE_CHECKING:
    from cartera.synthetic.anomalies import _Injector

Record = dict[str, Any]
COLLECTORS = ("cobrador1", "cobrador2", "cobrador3", "cobrador4", "cobrador5", "cobrador6")
ACTIVITY_DAYS = 120
FRAUD_DOMAINS = ("example.net", "example.org")


def _count(rate: float, units: int) -> int:
    from cartera.synthetic.anomalies import _count as count

    return count(rate, units)


def inject_history(inj: _Injector, *, history: bool) -> None:
    rng = random.Random(inj.rng.random())
    partners = {p["id"]: p for p in inj.t["res_partner"]}
    contacts = {c["partner_id"]: c for c in inj.t["res_partner_contact"]}
    issued: dict[int, list[Record]] = defaultdict(list)
    for m in inj.t["account_move"]:
        if m["move_type"] == "out_invoice" and m["state"] == "posted":
            issued[m["partner_id"]].append(m)
    for moves in issued.values():
        moves.sort(key=lambda m: m["create_date"])
    if history:
        _benign_history(inj, rng, partners, contacts)
    free = [pid for pid in sorted(partners) if len(issued.get(pid, ())) >= 12]
    rng.shuffle(free)
    per_type = _count(inj.rate, len(partners))

    def take() -> list[int]:
        chosen = [pid for pid in free if pid not in inj.used_customers][:per_type]
        inj.used_customers.update(chosen)
        return chosen

    for pid in take():
        _contact_change(inj, rng, contacts[pid], issued[pid])
    for pid in take():
        _terms_change(inj, rng, partners[pid])
    deteriorating = [pid for pid in free if partners[pid]["x_behaviour"] in ("exemplary", "occasional_slip")]
    for pid in [p for p in deteriorating if p not in inj.used_customers][:per_type]:
        inj.used_customers.add(pid)
        _slip(inj, rng, partners[pid])
    for p in partners.values():
        if p["x_behaviour"] == "deteriorating":
            inj.extras.native.append(_native(p, inj.as_of))
    _collectors(inj, rng, sorted(partners))
    _sat_list(inj, rng, partners, take())


def _native(partner: Record, as_of: dt.date) -> Any:
    from cartera.synthetic.anomalies import AnomalyLabel

    return AnomalyLabel("payment_deterioration", "customer", str(partner["id"]), str(partner["id"]), as_of)


def _benign_history(
    inj: _Injector, rng: random.Random, partners: dict[int, Record], contacts: dict[int, Record]
) -> None:
    """Credit-limit reviews and the odd one-step change of terms on customers the ERP shows as
    updated; e-mails changed within the company's domain, and a few domain moves."""
    steps = {15: 30, 30: 60, 60: 30, 90: 60}
    for partner in partners.values():
        if partner["write_date"] == partner["create_date"]:
            continue
        before = dict(partner, write_date=partner["create_date"])
        unit = Decimal(1000) if partner["credit_limit_currency"] == "USD" else Decimal(10000)
        factor = Decimal(str(round(rng.uniform(0.75, 1.35), 2)))
        before["credit_limit"] = max(unit, (partner["credit_limit"] / factor / unit).quantize(Decimal(1)) * unit)
        if rng.random() < 0.2:
            before["payment_term_days"] = steps[partner["payment_term_days"]]
        inj.extras.versions["res_partner"].append(before)
    for contact in contacts.values():
        draw = rng.random()
        if draw >= 0.035:
            continue
        before = dict(contact, write_date=contact["create_date"])
        local, domain = contact["email"].split("@")
        if draw < 0.03:  # a new address at the same company (a new person in accounts payable)
            before["email"] = f"pagos.{local}@{domain}"
        else:  # the company moved to another domain
            before["email"] = f"{local}@{'example.mx' if domain == 'example.com' else 'example.com'}"
        at = office_instant(
            rng, _random_day(rng, contact["create_date"].date(), inj.as_of), not_before=contact["create_date"]
        )
        contact["write_date"] = max(contact["write_date"], at)
        inj.extras.versions["res_partner_contact"].append(before)


def _random_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _contact_change(inj: _Injector, rng: random.Random, contact: Record, moves: list[Record]) -> None:
    """The contact's e-mail moved to another domain a few days before an invoice (payment request)."""
    recent = [m for m in moves if m["create_date"].date() >= inj.as_of - dt.timedelta(days=300)] or moves[-3:]
    request = rng.choice(recent)
    at = request["create_date"] - dt.timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
    at = max(at, contact["create_date"] + dt.timedelta(minutes=1))
    before = dict(contact, write_date=contact["create_date"])
    local = contact["email"].split("@")[0]
    contact["email"] = f"{local}.pagos@{rng.choice(FRAUD_DOMAINS)}"
    contact["write_date"] = max(contact["write_date"], at)
    inj.extras.versions["res_partner_contact"].append(before)
    inj.label("contact_changed_before_request", "customer", contact["partner_id"], contact["partner_id"], at.date())


def _terms_change(inj: _Injector, rng: random.Random, partner: Record) -> None:
    """Terms stretched to 90 days from 15 or 30, or the credit limit multiplied three- to six-fold."""
    before = dict(partner)
    before["write_date"] = partner["create_date"]
    at = office_instant(rng, inj.as_of - dt.timedelta(days=rng.randint(10, 200)), not_before=partner["create_date"])
    if partner["payment_term_days"] <= 30 and rng.random() < 0.5:
        partner["payment_term_days"] = 90
    else:
        partner["credit_limit"] = partner["credit_limit"] * rng.randint(3, 6)
    partner["write_date"] = max(partner["write_date"], at)
    inj.extras.versions["res_partner"] = [v for v in inj.extras.versions["res_partner"] if v["id"] != partner["id"]]
    inj.extras.versions["res_partner"].append(before)
    inj.label("terms_changed", "customer", partner["id"], partner["id"], at.date())


def _slip(inj: _Injector, rng: random.Random, partner: Record) -> None:
    """From a change day 90-180 days back, every payment of the customer comes 35-60 days later
    (a payment moved past as_of is not received yet: its invoices stay open)."""
    change = inj.as_of - dt.timedelta(days=rng.randint(90, 180))
    delay = dt.timedelta(days=rng.randint(35, 60))
    invoice_date = {m["id"]: m["invoice_date"] for m in inj.t["account_move"]}
    kept, dropped = [], set()
    for payment in inj.t["account_payment"]:
        if payment["partner_id"] != partner["id"] or payment["state"] != "posted":
            kept.append(payment)
            continue
        allocs = inj.allocs_by_payment.get(payment["id"], [])
        if not allocs or min(invoice_date[a["invoice_id"]] for a in allocs) < change:
            kept.append(payment)
            continue
        if payment["date"] + delay > inj.as_of:
            dropped.add(payment["id"])
            continue
        payment["date"] += delay
        payment["create_date"] += delay
        payment["write_date"] += delay
        for a in allocs:
            a["max_date"] += delay
            a["create_date"] += delay
            a["write_date"] += delay
        kept.append(payment)
    inj.t["account_payment"] = kept
    inj.t["account_partial_reconcile"] = [
        a for a in inj.t["account_partial_reconcile"] if a["payment_id"] not in dropped
    ]
    inj.label("payment_deterioration", "customer", partner["id"], partner["id"], change)


def _collectors(inj: _Injector, rng: random.Random, customers: list[int]) -> None:
    """Six collectors' holds and disputes over the last 120 days (about 1.5 a day each), and on a
    few collector-days one of them opening 25-60 at once."""
    days = [inj.as_of - dt.timedelta(days=d) for d in range(ACTIVITY_DAYS)]
    days = [d for d in days if d.weekday() < 5]
    log = inj.extras.collector_activity
    for day in sorted(days):
        for user in COLLECTORS:
            for _ in range(_poisson(rng, 1.5)):
                log.append(_activity(rng, user, day, rng.choice(customers)))
    units = [(u, d) for u in COLLECTORS for d in days]
    for user, day in sorted(rng.sample(units, _count(inj.rate, len(units)))):
        for _ in range(rng.randint(25, 60)):
            log.append(_activity(rng, user, day, rng.choice(customers)))
        inj.label("collector_bulk_actions", "collector_day", f"{user}:{day.isoformat()}", None, day)
    log.sort(key=lambda r: r["recorded_at"])


def _activity(rng: random.Random, user: str, day: dt.date, customer: int) -> Record:
    kind = "hold" if rng.random() < 0.7 else "dispute_opened"
    return {"recorded_at": office_instant(rng, day), "recorded_by": user, "customer_id": str(customer), "kind": kind}


def _poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


def _sat_list(inj: _Injector, rng: random.Random, partners: dict[int, Record], listed: list[int]) -> None:
    """A 69-B list published the week before as_of: 300 other taxpayers, the listed customers as
    presumed or definitive, and as negative controls customers that were cleared (desvirtuado,
    sentencia favorable)."""
    published = inj.as_of - dt.timedelta(days=7)
    inj.extras.sat_69b_published = published
    rows = inj.extras.sat_69b
    for n in range(300):
        founded = dt.date(1990, 1, 1) + dt.timedelta(days=rng.randint(0, 11000))
        rows.append(
            _sat_row(rfc_moral(f"Empresa Simulada {n} SA", founded, rng), rng.choice(_SITUATIONS), rng, published)
        )
    for pid in listed:
        situation = rng.choice(("Presunto", "Definitivo"))
        row = _sat_row(partners[pid]["vat"], situation, rng, published)
        rows.append(row)
        inj.label("sat_69b_listed", "customer", pid, pid, row["presumed_published"])
    others = [pid for pid in sorted(partners) if pid not in inj.used_customers]
    for pid in rng.sample(others, min(len(others), 4)):
        rows.append(_sat_row(partners[pid]["vat"], rng.choice(("Desvirtuado", "Sentencia Favorable")), rng, published))
    rng.shuffle(rows)


_SITUATIONS = ("Definitivo", "Definitivo", "Definitivo", "Presunto", "Sentencia Favorable", "Desvirtuado")


def _sat_row(rfc: str, situation: str, rng: random.Random, published: dt.date) -> Record:
    presumed = min(published, published - dt.timedelta(days=rng.randint(0, 900)))
    if situation == "Presunto" and published > presumed + dt.timedelta(days=60):
        presumed = published - dt.timedelta(days=rng.randint(0, 60))
    later = min(published, presumed + dt.timedelta(days=rng.randint(60, 400)))
    return {
        "rfc": rfc,
        "situation": situation,
        "presumed_published": presumed,
        "definitive_published": later if situation in ("Definitivo", "Sentencia Favorable") else None,
        "cleared_published": later if situation == "Desvirtuado" else None,
        "favourable_published": later if situation == "Sentencia Favorable" else None,
    }
