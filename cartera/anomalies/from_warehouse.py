"""An :class:`AnomalyBook` from the warehouse as of a business date.

Invoices and their settlement come from ``marts.fct_invoices`` (built for that date). Everything
that needs history reads ``raw``, which keeps every row version a daily extract landed: invoices
(first version = when it was posted; later ones = edits), payments (posted → cancelled),
customers (terms, credit limit) and contacts (e-mails, hashed here in SQL so no address leaves
the database). Nothing written after the end of the business date (books' zone) is read.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg

from cartera.anomalies.book import COLUMNS, AnomalyBook
from cartera.db import read_frame
from cartera.run_dates import BOOKS_TZ

# An invoice's first version was extracted live when it landed within two days of being written;
# a bulk load of old history says nothing about when an invoice was posted. USD amounts in MXN at
# the latest rate on or before the document's date (18.5 when none is loaded). E-mails hashed in SQL.
QUERIES: dict[str, str] = {
    "invoices": """
        with first_version as (
            select distinct on (invoice_id) invoice_id, updated_at as first_seen,
                   loaded_at - updated_at <= interval '2 days' as seen_live
            from raw.invoices where updated_at <= %(cutoff)s order by invoice_id, updated_at, loaded_at
        )
        select f.invoice_id, f.invoice_number, f.cfdi_uuid, f.customer_id, f.issue_date, f.due_date, f.currency,
               f.total_amount::float8, f.total_amount_mxn::float8 as total_mxn, f.settled_date,
               v.first_seen, coalesce(v.seen_live, false) as seen_live
        from marts.fct_invoices f left join first_version v using (invoice_id)
        where f.issue_date <= %(as_of)s""",
    "invoice_versions": """
        select distinct invoice_id, customer_id, issue_date, due_date, total::float8 as total_amount, updated_at
        from raw.invoices where updated_at <= %(cutoff)s and lower(status) = 'posted'""",
    "credit_notes": """
        select credit_note_id, customer_id, invoice_id, issue_date, upper(currency) as currency,
               total::float8 as total_amount,
               (total * coalesce((select r.rate_to_mxn from raw.fx_rates r where r.currency = upper(c.currency)
                   and r.rate_date <= c.issue_date order by r.rate_date desc, r.loaded_at desc limit 1),
                  case when upper(c.currency) = 'MXN' then 1 end, 18.5))::float8 as total_mxn
        from (select distinct on (credit_note_id) * from raw.credit_notes where updated_at <= %(cutoff)s
              order by credit_note_id, updated_at desc, loaded_at desc) c
        where lower(status) = 'posted' and issue_date <= %(as_of)s""",
    "payment_versions": """
        select distinct payment_id, customer_id, payment_date, upper(currency) as currency, amount::float8 as amount,
               (amount * coalesce((select r.rate_to_mxn from raw.fx_rates r where r.currency = upper(p.currency)
                   and r.rate_date <= p.payment_date order by r.rate_date desc, r.loaded_at desc limit 1),
                  case when upper(p.currency) = 'MXN' then 1 end, 18.5))::float8 as amount_mxn,
               lower(status) as status, updated_at
        from raw.payments p where updated_at <= %(cutoff)s and payment_date <= %(as_of)s""",
    "allocations": """
        select allocation_id, payment_id, invoice_id, amount::float8 as amount, allocation_date
        from (select distinct on (allocation_id) * from raw.payment_allocations where updated_at <= %(cutoff)s
              order by allocation_id, updated_at desc, loaded_at desc) a
        where allocation_date <= %(as_of)s""",
    "customer_versions": """
        select distinct customer_id, credit_terms_days, credit_limit::float8 as credit_limit,
               upper(credit_limit_currency) as credit_limit_currency, updated_at
        from raw.customers where updated_at <= %(cutoff)s""",
    "contact_versions": """
        select distinct contact_id, customer_id,
               left(encode(sha256(convert_to(lower(trim(email)), 'UTF8')), 'hex'), 16) as email_key,
               left(encode(sha256(convert_to(lower(trim(split_part(trim(email), '@', 2))), 'UTF8')), 'hex'), 16) as domain_key,
               updated_at
        from raw.contacts where updated_at <= %(cutoff)s""",
    "requests": """
        select customer_id, min(updated_at) as requested_at from raw.invoices
        where updated_at <= %(cutoff)s group by invoice_id, customer_id
        union all
        select customer_id, sent_at from ops.outbox where status = 'sent' and sent_at <= %(cutoff)s""",
    "collector_activity": """
        select recorded_by, recorded_at, kind, customer_id from ops.collector_activity
        where recorded_at <= %(cutoff)s""",
    "customer_rfcs": """
        select distinct on (customer_id) customer_id, rfc from raw.customers
        where updated_at <= %(cutoff)s order by customer_id, updated_at desc, loaded_at desc""",
    "sat_69b": """
        select rfc, situation, coalesce(presumed_published_sat, presumed_published_dof) as presumed_published,
               list_published
        from raw.sat_69b where list_published <= %(as_of)s""",
}


def end_of(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in the books' zone, in UTC."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=BOOKS_TZ).astimezone(dt.UTC)


def book_from_warehouse(conn: psycopg.Connection, as_of: dt.date) -> AnomalyBook:
    """The frames of :data:`cartera.anomalies.book.COLUMNS` read from the warehouse on ``as_of``."""
    params = {"as_of": as_of, "cutoff": end_of(as_of) - dt.timedelta(microseconds=1)}
    frames: dict[str, pd.DataFrame] = {}
    for name, query in QUERIES.items():
        frame = read_frame(conn, query, params)  # trusted constant SQL; values are parameters
        frames[name] = frame.reindex(columns=list(COLUMNS[name]))
    return AnomalyBook(as_of, frames)
