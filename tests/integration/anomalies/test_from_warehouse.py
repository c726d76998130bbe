"""The detectors read the warehouse as of the business date: row versions from raw (an e-mail
moved to another domain, an invoice's due date pushed out) raise alerts, e-mails are compared as
hashes, and nothing written after the day is seen."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from cartera.anomalies.detect import detect
from cartera.anomalies.from_warehouse import book_from_warehouse

pytestmark = pytest.mark.integration
AS_OF = dt.date(2026, 5, 29)

SETUP = """
create schema if not exists marts;
create table marts.fct_invoices (invoice_id text, invoice_number text, cfdi_uuid text, customer_id text,
    issue_date date, due_date date, currency text, total_amount numeric, total_amount_mxn numeric, settled_date date);
insert into marts.fct_invoices values
    ('1', 'INV/1', 'U1', 'C1', '2026-05-04', '2026-06-03', 'MXN', 1000, 1000, null),
    ('2', 'INV/2', 'U2', 'C1', '2026-04-01', '2026-05-01', 'MXN', 500, 500, null);
insert into raw.invoices (load_id, source, loaded_at, invoice_id, invoice_number, customer_id, issue_date, due_date,
    currency, total, status, updated_at) values
    ('l1', 'erp', '2026-05-04 18:00Z', '1', 'INV/1', 'C1', '2026-05-04', '2026-06-03', 'MXN', 1000, 'posted', '2026-05-04 17:00Z'),
    ('l2', 'erp', '2026-04-01 18:00Z', '2', 'INV/2', 'C1', '2026-04-01', '2026-05-01', 'MXN', 500, 'posted', '2026-04-01 17:00Z'),
    ('l3', 'erp', '2026-05-10 18:00Z', '2', 'INV/2', 'C1', '2026-04-01', '2026-06-15', 'MXN', 500, 'posted', '2026-05-10 17:00Z'),
    ('l4', 'erp', '2026-06-02 18:00Z', '1', 'INV/1', 'C1', '2026-05-04', '2026-07-03', 'MXN', 1000, 'posted', '2026-06-02 17:00Z');
insert into raw.contacts (load_id, source, contact_id, customer_id, email, updated_at) values
    ('c1', 'erp', 'K1', 'C1', 'ana@example.mx', '2025-01-10 17:00Z'),
    ('c2', 'erp', 'K1', 'C1', 'ana.pagos@example.net', '2026-05-02 17:00Z');
"""


def test_versions_in_raw_up_to_the_day_raise_alerts_and_later_ones_are_not_read(fresh_db: str) -> None:
    with psycopg.connect(fresh_db) as conn:
        conn.execute(SETUP)  # type: ignore[arg-type]
    with psycopg.connect(fresh_db) as conn:
        book = book_from_warehouse(conn, AS_OF)
        found = detect(book)

    assert sorted((f.kind, f.entity_id) for f in found) == [
        ("contact_changed_before_request", "C1"),  # two days before invoice 1 was posted
        ("invoice_edited", "2"),  # due date pushed from May 1 to June 15 on May 10
    ]  # invoice 1's edit on June 2 is after the day
    assert len(book["contact_versions"].email_key.iloc[0]) == 16  # a hash, not the address
    assert set(book["invoices"].seen_live) == {True}
