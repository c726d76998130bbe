-- A synthetic book of ~20,000 invoices over two years (500 customers, 15% in USD, most paid in one
-- or two allocations, some credited, some disputed), for timing `dbt build` at realistic size.
-- Deterministic (setseed). Not for asserting numbers: raw_book.sql is the hand-checked one.
select setseed(0.42);

insert into raw.customers (load_id, source, customer_id, customer_name, rfc, country_code, state_code,
    industry, credit_terms_days, credit_limit, credit_limit_currency, created_at, updated_at)
select 'B1', 'erp', 'C' || n, 'Cliente ' || n, 'RFC' || lpad(n::text, 9, '0'), 'MX',
    (array['SON','CMX','ROO','BCN','CHH','JAL','NLE','SIN','YUC','PUE'])[1 + n % 10],
    'retail', (array[15,30,60,90])[1 + n % 4], 100000, 'MXN', '2024-01-01', '2024-01-01'
from generate_series(1, 500) as n;

insert into raw.contacts (load_id, source, contact_id, customer_id, contact_name, email, mobile,
    whatsapp_opt_in, email_opt_out, sms_opt_out, preferred_language, preferred_channel, updated_at)
select 'B1', 'erp', n::text, 'C' || n, 'Contacto ' || n, 'c' || n || '@example.com', '+52155' || lpad(n::text, 8, '0'),
    n % 2 = 0, false, false, 'es_MX', 'email', '2024-01-01'
from generate_series(1, 500) as n;

insert into raw.fx_rates (load_id, source, rate_date, currency, rate_to_mxn, updated_at)
select 'B1', 'erp', d::date, 'USD', round((17 + 2 * random())::numeric, 4), d
from generate_series(date '2024-11-01', date '2026-11-24', interval '1 day') as d
where extract(isodow from d) < 6;

create temporary table bench_invoices as
select
    'INV' || n as invoice_id,
    'C' || (1 + (random() * 499)::int) as customer_id,
    date '2024-11-25' + (random() * 729)::int as issue_date,
    case when random() < 0.15 then 'USD' else 'MXN' end as currency,
    round((500 + random() * 50000)::numeric, 2) as total,
    random() as fate
from generate_series(1, 20000) as n;

insert into raw.invoices (load_id, source, invoice_id, invoice_number, customer_id, issue_date, due_date,
    currency, subtotal, tax, total, status, updated_at)
select 'B1', 'erp', invoice_id, 'F-' || invoice_id, customer_id, issue_date, issue_date + 30, currency,
    round(total / 1.16, 2), total - round(total / 1.16, 2), total,
    case when fate > 0.98 then 'cancel' else 'posted' end, issue_date
from bench_invoices;

-- 80% paid in full 0-90 days after due, 10% half paid, 5% credited in part, 3% disputed
insert into raw.payments (load_id, source, payment_id, customer_id, payment_date, currency, amount, status, updated_at)
select 'B1', 'erp', 'P' || invoice_id, customer_id, least(issue_date + 30 + (fate * 100)::int - 10, date '2026-11-24'),
    currency, case when fate < 0.8 then total else round(total / 2, 2) end, 'posted', issue_date
from bench_invoices
where fate < 0.9 and issue_date + 20 <= date '2026-11-24';

insert into raw.payment_allocations (load_id, source, allocation_id, payment_id, invoice_id, amount, allocation_date, updated_at)
select 'B1', 'erp', 'A' || payment_id, payment_id, substr(payment_id, 2), amount, payment_date, payment_date
from raw.payments where load_id = 'B1';

insert into raw.credit_notes (load_id, source, credit_note_id, customer_id, invoice_id, issue_date, currency, total, status, updated_at)
select 'B1', 'erp', 'CN' || invoice_id, customer_id, invoice_id, issue_date + 10, currency, round(total / 10, 2), 'posted', issue_date + 10
from bench_invoices
where fate between 0.9 and 0.95 and issue_date + 10 <= date '2026-11-24';

insert into raw.disputes (load_id, source, dispute_id, invoice_id, customer_id, opened_date, resolved_date, status, updated_at)
select 'B1', 'erp', 'D' || invoice_id, invoice_id, customer_id, issue_date + 35, null, 'open', issue_date + 35
from bench_invoices
where fate between 0.95 and 0.98 and issue_date + 35 <= date '2026-11-24';
