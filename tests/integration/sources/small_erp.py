"""A small ERP (docs/data_model.md §1): DDL and a few rows per table, all written at WRITTEN, and
the two SQL helpers its tests share.

Ids are nullable on purpose: a real ERP never has a missing id, but a broken export or view can,
and the gate must catch it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg

WRITTEN = dt.datetime(2025, 5, 1, 12, 0, tzinfo=dt.UTC)
UPPER = dt.datetime(2025, 6, 1, 6, 30, tzinfo=dt.UTC)

ERP_DDL = """
create schema erp;
create table erp.res_partner (
    id bigint, name text, vat text, l10n_mx_tax_regime text, country_code text, state_code text, city text,
    zip text, industry text, payment_term_days integer, credit_limit numeric(18,2), credit_limit_currency text,
    create_date timestamptz, write_date timestamptz);
create table erp.res_partner_contact (
    id bigint, partner_id bigint, name text, email text, mobile text, whatsapp_opt_in boolean,
    email_opt_out boolean, sms_opt_out boolean, lang text, preferred_channel text,
    create_date timestamptz, write_date timestamptz);
create table erp.account_move (
    id bigint, name text, move_type text, partner_id bigint, invoice_date date, invoice_date_due date,
    currency text, amount_untaxed numeric(18,2), amount_tax numeric(18,2), amount_total numeric(18,2),
    state text, reversed_entry_id bigint, l10n_mx_edi_cfdi_uuid uuid, refund_reason text,
    create_date timestamptz, write_date timestamptz);
create table erp.account_move_line (
    id bigint, move_id bigint, name text, quantity numeric(18,4), price_unit numeric(18,4), tax_rate numeric(6,4),
    price_subtotal numeric(18,2), create_date timestamptz, write_date timestamptz);
create table erp.account_payment (
    id bigint, name text, partner_id bigint, date date, currency text, amount numeric(18,2), payment_method text,
    state text, create_date timestamptz, write_date timestamptz);
create table erp.account_partial_reconcile (
    id bigint, payment_id bigint, invoice_id bigint, amount numeric(18,2), max_date date,
    create_date timestamptz, write_date timestamptz);
create table erp.collection_dispute (
    id bigint, move_id bigint, partner_id bigint, opened_date date, resolved_date date, reason text, state text,
    create_date timestamptz, write_date timestamptz);
create table erp.res_currency_rate (
    id bigint, name date, currency text, rate_to_mxn numeric(18,6), create_date timestamptz, write_date timestamptz);
"""

ERP_ROWS = """
insert into erp.res_partner values
 (1, 'Abarrotes Sonora SA', 'ASO010101AAA', '601', 'MX', 'SON', 'Hermosillo', '83000', 'retail', 30, 500000, 'MXN', %(w)s, %(w)s),
 (2, 'Ferretera del Golfo', 'FGO020202BBB', '601', 'MX', 'VER', 'Veracruz', '91700', 'hardware', 60, 250000, 'MXN', %(w)s, %(w)s);
insert into erp.res_partner_contact values
 (11, 1, 'María López', 'maria@example.com', '+526621234567', true, false, false, 'es_MX', 'email', %(w)s, %(w)s),
 (12, 2, 'John Smith', 'john@example.com', '+522291234567', false, false, false, 'en_US', 'sms', %(w)s, %(w)s);
insert into erp.account_move values
 (101, 'F-0001', 'out_invoice', 1, '2025-04-01', '2025-05-01', 'MXN', 1000, 160, 1160, 'posted', null, gen_random_uuid(), null, %(w)s, %(w)s),
 (102, 'F-0002', 'out_invoice', 1, '2025-04-10', '2025-05-10', 'USD', 500, 80, 580, 'posted', null, gen_random_uuid(), null, %(w)s, %(w)s),
 (103, 'F-0003', 'out_invoice', 2, '2025-04-20', '2025-06-19', 'MXN', 2000, 320, 2320, 'posted', null, gen_random_uuid(), null, %(w)s, %(w)s),
 (104, 'NC-0001', 'out_refund', 1, '2025-04-15', '2025-04-15', 'MXN', 100, 16, 116, 'posted', 101, gen_random_uuid(), 'damaged goods', %(w)s, %(w)s);
insert into erp.account_move_line values
 (1001, 101, 'Cemento 50kg', 10, 100, 0.16, 1000, %(w)s, %(w)s),
 (1002, 102, 'Varilla 3/8', 5, 100, 0.16, 500, %(w)s, %(w)s),
 (1003, 103, 'Arena m3', 20, 100, 0.16, 2000, %(w)s, %(w)s);
insert into erp.account_payment values (201, 'PAY-0001', 1, '2025-04-28', 'MXN', 1160, 'transfer', 'posted', %(w)s, %(w)s);
insert into erp.account_partial_reconcile values (301, 201, 101, 1160, '2025-04-28', %(w)s, %(w)s);
insert into erp.collection_dispute values (401, 103, 2, '2025-04-25', null, 'price', 'open', %(w)s, %(w)s);
insert into erp.res_currency_rate values
 (501, '2025-04-30', 'USD', 17.05, %(w)s, %(w)s),
 (502, '2025-05-01', 'USD', 17.10, %(w)s, %(w)s);
"""

EXPECTED_ROWS = {
    "customers": 2,
    "contacts": 2,
    "invoices": 3,
    "invoice_lines": 3,
    "credit_notes": 1,
    "payments": 1,
    "payment_allocations": 1,
    "disputes": 1,
    "fx_rates": 2,
}


def query(dsn: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(statement, params).fetchall()  # type: ignore[arg-type]


def execute(dsn: str, statement: str, params: tuple[Any, ...] = ()) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(statement, params)  # type: ignore[arg-type]
