-- Tables that cartera's Python code owns. dbt owns staging, intermediate and marts.
-- Idempotent: safe to run on every start.
create schema if not exists raw;
create schema if not exists quarantine;
create schema if not exists ops;
create schema if not exists ml;
create schema if not exists kpi;

-- raw: append-only landing, one table per entity in a canonical shape for every source.
-- Each row carries load_id, source and loaded_at. Keys are the source's natural keys, as text.
create table if not exists raw.customers (
    load_id text not null, source text not null, loaded_at timestamptz not null default now(),
    customer_id text, customer_name text, rfc text, tax_regime text,
    country_code text, state_code text, city text, postal_code text,
    industry text, credit_terms_days integer, credit_limit numeric(18, 2), credit_limit_currency text,
    created_at timestamptz, updated_at timestamptz
);
create table if not exists raw.contacts (
    load_id text not null, source text not null, loaded_at timestamptz not null default now(),
    contact_id text, customer_id text, contact_name text, email text, mobile text,
    whatsapp_opt_in boolean, email_opt_out boolean, sms_opt_out boolean,
    preferred_language text, preferred_channel text, updated_at timestamptz
);
create table if not exists raw.invoices (
    load_id text not null, source text not null, loaded_at timestamptz not null default now(),
    invoice_id text, invoice_number text, customer_id text, issue_date date, due_date date,
    currency text, subtotal numeric(18, 2), tax numeric(18, 2), total numeric(18, 2),
    status text, cfdi_uuid text, payment_method text, updated_at timestamptz
);
create table if not exists raw.invoice_lines (
    load_id text not null, source text not null, loaded_at timestamptz not null default now(),
    line_id text, invoice_id text, description text, quantity numeric(18, 4), unit_price numeric(18, 4),
    tax_rate numeric(6, 4), amount numeric(18, 2), updated_at timestamptz
);
create table if not exists raw.credit_notes (
    load_id text not null, source text not null, loaded_at timestamptz not null default now(),
    credit_note_id text, credit_note_number text, customer_id text, invoice_id text, issue_date date,
    currency text, total numeric(18, 2), reason text, status text, cfdi_uuid text, updated_at timestamptz
);
create table if not exists raw.payments (
    load_id text not null, source text not null, loaded_at timestamptz not null default now(),
    payment_id text, payment_number text, customer_id text, payment_date date, currency text,
    amount numeric(18, 2), method text, status text, updated_at timestamptz
);
create table if not exists raw.payment_allocations (
    load_id text not null, source text not null, loaded_at timestamptz not null default now(),
    allocation_id text, payment_id text, invoice_id text, amount numeric(18, 2), allocation_date date,
    updated_at timestamptz
);
create table if not exists raw.disputes (
    load_id text not null, source text not null, loaded_at timestamptz not null default now(),
    dispute_id text, invoice_id text, customer_id text, opened_date date, resolved_date date,
    reason text, status text, updated_at timestamptz
);
create table if not exists raw.fx_rates (
    load_id text not null, source text not null, loaded_at timestamptz not null default now(),
    rate_date date, currency text, rate_to_mxn numeric(18, 6), updated_at timestamptz
);

-- quarantine: rejected rows, never silently dropped; the row itself kept as JSON.
create table if not exists quarantine.rejected_rows (
    load_id text not null, source text not null, entity text not null,
    row_number integer not null, record_key text, rule text not null, reason text not null,
    record jsonb not null, rejected_at timestamptz not null default now(),
    primary key (load_id, entity, row_number, rule)
);

-- ops: ingestion bookkeeping
create table if not exists ops.ingest_watermarks (
    source text not null, entity text not null, watermark timestamptz not null,
    updated_at timestamptz not null default now(), primary key (source, entity)
);
create table if not exists ops.ingest_loads (
    load_id text primary key, source text not null, entity text not null,
    watermark_from timestamptz, watermark_to timestamptz,
    rows_extracted integer not null, rows_loaded integer not null, rows_quarantined integer not null,
    gate_passed boolean not null, finished_at timestamptz not null default now()
);
-- The field that failed and the export a rejected row came from, as columns (not inside the reason).
alter table quarantine.rejected_rows add column if not exists field text;
alter table quarantine.rejected_rows add column if not exists file_name text;
