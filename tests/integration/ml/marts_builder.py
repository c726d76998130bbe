"""A small synthetic company in the shape of the documented marts (docs/data_model.md §3), for
the ml integration tests: customers with clear, stable payment behaviours so a model has a
signal to find. The dbt marts are another stage's output; here we only create tables with the
contract's columns and fill them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg

START = dt.date(2024, 1, 1)
AS_OF = dt.date(2025, 6, 30)
USD_MXN = 18.5

# behaviour → (probability an invoice is paid late, days late when late (low, high))
BEHAVIOURS = {
    "exemplary": (0.03, (1, 5)),
    "occasional": (0.2, (3, 15)),
    "chronic": (0.85, (10, 60)),
    "deteriorating": (None, (5, 40)),  # late probability rises from 0.05 to 0.9 over time
}


@dataclass(frozen=True)
class Marts:
    customers: pd.DataFrame
    invoices: pd.DataFrame
    allocations: pd.DataFrame


def build_marts(seed: int = 7, as_of: dt.date = AS_OF, per_behaviour: int = 6) -> Marts:
    """Customers of each behaviour (plus two new ones), an invoice every 10–25 days each, settled
    by behaviour; invoices whose settlement falls after as_of are open on as_of."""
    rng = np.random.default_rng(seed)
    customers, invoices, allocations = [], [], []
    span = (as_of - START).days
    plan = [(b, i) for b in BEHAVIOURS for i in range(per_behaviour)] + [("new", 0), ("new", 1)]
    for n, (behaviour, _) in enumerate(plan, start=1):
        customer_id = f"C{n:03d}"
        first = (
            START + dt.timedelta(days=int(rng.integers(0, 30))) if behaviour != "new" else as_of - dt.timedelta(days=40)
        )
        terms = int(rng.choice([15, 30, 60]))
        customers.append(
            {
                "customer_id": customer_id,
                "customer_name": f"Comercializadora Ejemplo {n} S.A. de C.V.",
                "rfc": f"CEJ{n:06d}AB1",
                "state_code": "SON",
                "timezone": "America/Hermosillo",
                "industry": "retail",
                "credit_terms_days": terms,
                "first_invoice_date": first,
            }
        )
        day = first
        while day <= as_of:
            invoice_id = f"INV-{customer_id}-{day:%Y%m%d}"
            usd = rng.random() < 0.1
            amount = round(float(rng.lognormal(10, 0.8)), 2)
            amount_mxn = round(amount * (USD_MXN if usd else 1.0), 2)
            due = day + dt.timedelta(days=terms)
            p_late, (low, high) = BEHAVIOURS.get(behaviour, (0.3, (1, 20)))
            if p_late is None:
                p_late = 0.05 + 0.85 * (day - START).days / span
            late = rng.random() < p_late
            offset = int(rng.integers(low, high + 1)) if late else -int(rng.integers(0, 5))
            settled = due + dt.timedelta(days=offset)
            known = settled <= as_of
            invoices.append(
                {
                    "invoice_id": invoice_id,
                    "invoice_number": f"F{len(invoices) + 1:05d}",
                    "customer_id": customer_id,
                    "issue_date": day,
                    "due_date": due,
                    "currency": "USD" if usd else "MXN",
                    "total_amount": amount,
                    "total_amount_mxn": amount_mxn,
                    "paid_amount": amount if known else 0.0,
                    "credited_amount": 0.0,
                    "open_amount": 0.0 if known else amount,
                    "open_amount_mxn": 0.0 if known else amount_mxn,
                    "settled_date": settled if known else None,
                    "days_to_settle": (settled - day).days if known else None,
                    "days_late": max(offset, 0) if known else None,
                    "is_settled": known,
                    "is_disputed": False,
                    "dispute_opened_date": None,
                }
            )
            if known:
                allocations.append(
                    {
                        "allocation_id": f"A-{invoice_id}",
                        "payment_id": f"P-{invoice_id}",
                        "invoice_id": invoice_id,
                        "allocation_date": settled,
                        "amount": amount,
                    }
                )
            day += dt.timedelta(days=int(rng.integers(10, 26)))
    return Marts(pd.DataFrame(customers), pd.DataFrame(invoices), pd.DataFrame(allocations))


_DDL = """
create schema if not exists marts;
create table marts.dim_customers (customer_id text primary key, customer_name text, rfc text, state_code text,
    timezone text, industry text, credit_terms_days integer, first_invoice_date date);
create table marts.fct_invoices (invoice_id text primary key, invoice_number text, customer_id text, issue_date date,
    due_date date, currency text, total_amount numeric(18,2), total_amount_mxn numeric(18,2), paid_amount numeric(18,2),
    credited_amount numeric(18,2), open_amount numeric(18,2), open_amount_mxn numeric(18,2), settled_date date,
    days_to_settle integer, days_late integer, is_settled boolean, is_disputed boolean, dispute_opened_date date);
create table marts.fct_payment_allocations (allocation_id text primary key, payment_id text, invoice_id text,
    allocation_date date, amount numeric(18,2));
"""


def write_marts(dsn: str, marts: Marts) -> None:
    """Create the three marts the ml stage reads and load the frames into them."""
    with psycopg.connect(dsn) as conn:
        conn.execute(_DDL)
        for table, frame in (
            ("dim_customers", marts.customers),
            ("fct_invoices", marts.invoices),
            ("fct_payment_allocations", marts.allocations),
        ):
            columns = list(frame.columns)
            rows = [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]
            placeholders = ", ".join(["%s"] * len(columns))
            with conn.cursor() as cur:
                cur.executemany(f"insert into marts.{table} ({', '.join(columns)}) values ({placeholders})", rows)
