-- A small, hand-checkable receivables book in the raw layer, for the dbt integration tests and
-- for trying the project by hand (psql -f raw_book.sql, then dbt build with as_of_date
-- 2026-11-24). Every fact the tests assert is stated next to its rows.
-- Load L1 is the first extraction; L2 re-lands rows the source updated later.

insert into raw.customers (load_id, source, loaded_at, customer_id, customer_name, rfc, tax_regime,
    country_code, state_code, city, postal_code, industry, credit_terms_days, credit_limit,
    credit_limit_currency, created_at, updated_at) values
    -- C001 changed its terms from 30 to 60 days: the L2 version must win.
    ('L1', 'erp', '2026-11-01 06:00+00', 'C001', 'Abarrotes del Norte SA de CV', 'ANO010101AB1', '601',
     'MX', 'SON', 'Hermosillo', '83000', 'retail', 30, 500000.00, 'MXN', '2025-01-10 12:00+00', '2025-01-10 12:00+00'),
    ('L2', 'erp', '2026-11-20 06:00+00', 'C001', 'Abarrotes del Norte SA de CV', 'ANO010101AB1', '601',
     'MX', 'SON', 'Hermosillo', '83000', 'retail', 60, 500000.00, 'MXN', '2025-01-10 12:00+00', '2026-11-19 15:00+00'),
    -- C002 sends the abbreviation QR (Quintana Roo, ISO ROO): America/Cancun.
    ('L1', 'erp', '2026-11-01 06:00+00', 'C002', 'Servicios Caribe SA de CV', 'SCA020202CD2', '601',
     'MX', 'QR', 'Cancún', '77500', 'hospitality', 30, 200000.00, 'MXN', '2025-02-01 12:00+00', '2025-02-01 12:00+00'),
    ('L1', 'csv', '2026-11-01 06:00+00', 'C003', 'Maquinados Industriales SA de CV', 'MIN030303EF3', '601',
     'MX', 'CMX', 'Ciudad de México', '06600', 'manufacturing', 30, 300000.00, 'MXN', '2025-03-01 12:00+00', '2025-03-01 12:00+00'),
    ('L1', 'erp', '2026-11-01 06:00+00', 'C004', 'Exportadora Juárez SA de CV', 'EJU040404GH4', '601',
     'MX', 'CHH', 'Chihuahua', '31000', 'logistics', 30, 50000.00, 'USD', '2025-04-01 12:00+00', '2025-04-01 12:00+00');

insert into raw.contacts (load_id, source, loaded_at, contact_id, customer_id, contact_name, email,
    mobile, whatsapp_opt_in, email_opt_out, sms_opt_out, preferred_language, preferred_channel, updated_at) values
    ('L1', 'erp', '2026-11-01 06:00+00', '2', 'C001', 'Lucía Romero', 'lucia@abarrotes.example', '+526621234567', true, false, false, 'es_MX', 'whatsapp', '2025-01-10 12:00+00'),
    ('L1', 'erp', '2026-11-01 06:00+00', '10', 'C001', 'Pedro Soto', 'pedro@abarrotes.example', '+526621234568', false, false, false, 'es_MX', 'email', '2025-01-10 12:00+00'),
    ('L1', 'erp', '2026-11-01 06:00+00', '3', 'C002', 'Ana Pech', 'ana@caribe.example', '+529981234567', false, true, false, 'es_MX', 'sms', '2025-02-01 12:00+00'),
    ('L1', 'erp', '2026-11-01 06:00+00', '4', 'C004', 'John Miller', 'john@exportadora.example', '+526141234567', true, false, true, 'en_US', 'email', '2025-04-01 12:00+00');

-- USD rates: the 2026-11-23 publication was corrected from 18.55 to 18.60 (L2 wins).
-- 2026-11-22 is a Sunday: it carries Friday 2026-11-20's 18.50.
insert into raw.fx_rates (load_id, source, loaded_at, rate_date, currency, rate_to_mxn, updated_at) values
    ('L1', 'erp', '2026-11-01 06:00+00', '2026-01-02', 'USD', 17.200000, '2026-01-02 18:00+00'),
    ('L1', 'erp', '2026-11-01 06:00+00', '2026-09-15', 'USD', 18.000000, '2026-09-15 18:00+00'),
    ('L1', 'erp', '2026-11-01 06:00+00', '2026-10-01', 'USD', 18.200000, '2026-10-01 18:00+00'),
    ('L2', 'erp', '2026-11-24 06:00+00', '2026-11-20', 'USD', 18.500000, '2026-11-20 18:00+00'),
    ('L2', 'erp', '2026-11-24 06:00+00', '2026-11-23', 'USD', 18.550000, '2026-11-23 18:00+00'),
    ('L3', 'erp', '2026-11-24 07:00+00', '2026-11-23', 'USD', 18.600000, '2026-11-23 19:00+00');

-- as of 2026-11-24:
-- I001 MXN 11,600 due 2026-10-31, 5,000 paid -> 6,600 open, 24 days past due ('1-30').
-- I002 USD 1,000 issued Sunday 2026-11-22 at 18.50 -> 18,500.00 MXN, due 2026-12-22 ('current').
-- I003 MXN 5,800: credit note 800 (2026-06-15) + payment 5,000 (2026-07-10) -> settled 2026-07-10.
-- I004 MXN 2,320 due 2026-08-14, open dispute since 2026-09-01, 102 days past due ('91+');
--      its only payment was cancelled.
-- I005 USD 500 at 18.00, 200 paid -> 300 open = 5,400.00 MXN, 40 days past due ('31-60');
--      its dispute was resolved on 2026-10-01.
-- I006 cancelled -> not in the marts. I007 re-landed with total 3,480 (was 3,000), 66 days
--      past due ('61-90'). I008 issued after the as-of date -> not in the marts.
insert into raw.invoices (load_id, source, loaded_at, invoice_id, invoice_number, customer_id,
    issue_date, due_date, currency, subtotal, tax, total, status, cfdi_uuid, payment_method, updated_at) values
    ('L1', 'erp', '2026-11-01 06:00+00', 'I001', 'A-1001', 'C001', '2026-10-01', '2026-10-31', 'MXN', 10000.00, 1600.00, 11600.00, 'posted', 'uuid-i001', 'PPD', '2026-10-01 12:00+00'),
    ('L2', 'erp', '2026-11-24 06:00+00', 'I002', 'A-1002', 'C002', '2026-11-22', '2026-12-22', 'USD', 862.07, 137.93, 1000.00, 'posted', 'uuid-i002', 'PPD', '2026-11-22 12:00+00'),
    ('L1', 'csv', '2026-11-01 06:00+00', 'I003', 'B-0003', 'C003', '2026-06-01', '2026-07-01', 'MXN', 5000.00, 800.00, 5800.00, 'posted', 'uuid-i003', 'PPD', '2026-06-01 12:00+00'),
    ('L1', 'csv', '2026-11-01 06:00+00', 'I004', 'B-0004', 'C003', '2026-07-15', '2026-08-14', 'MXN', 2000.00, 320.00, 2320.00, 'posted', 'uuid-i004', 'PPD', '2026-07-15 12:00+00'),
    ('L1', 'erp', '2026-11-01 06:00+00', 'I005', 'A-1005', 'C004', '2026-09-15', '2026-10-15', 'USD', 431.03, 68.97, 500.00, 'posted', 'uuid-i005', 'PPD', '2026-09-15 12:00+00'),
    ('L1', 'erp', '2026-11-01 06:00+00', 'I006', 'A-1006', 'C001', '2026-10-10', '2026-11-09', 'MXN', 1000.00, 160.00, 1160.00, 'cancel', 'uuid-i006', 'PPD', '2026-10-11 12:00+00'),
    ('L1', 'erp', '2026-11-01 06:00+00', 'I007', 'A-1007', 'C004', '2026-08-20', '2026-09-19', 'MXN', 2586.21, 413.79, 3000.00, 'posted', 'uuid-i007', 'PPD', '2026-08-20 12:00+00'),
    ('L2', 'erp', '2026-11-24 06:00+00', 'I007', 'A-1007', 'C004', '2026-08-20', '2026-09-19', 'MXN', 3000.00, 480.00, 3480.00, 'posted', 'uuid-i007', 'PPD', '2026-11-21 12:00+00'),
    ('L2', 'erp', '2026-11-24 06:00+00', 'I008', 'A-1008', 'C002', '2026-12-01', '2026-12-31', 'MXN', 1000.00, 160.00, 1160.00, 'posted', 'uuid-i008', 'PPD', '2026-11-23 12:00+00');

insert into raw.invoice_lines (load_id, source, loaded_at, line_id, invoice_id, description, quantity,
    unit_price, tax_rate, amount, updated_at) values
    ('L1', 'erp', '2026-11-01 06:00+00', 'IL1', 'I001', 'Abarrotes surtidos', 10, 1000, 0.16, 10000.00, '2026-10-01 12:00+00'),
    ('L1', 'csv', '2026-11-01 06:00+00', 'IL3', 'I003', 'Maquinado de piezas', 5, 1000, 0.16, 5000.00, '2026-06-01 12:00+00');

insert into raw.credit_notes (load_id, source, loaded_at, credit_note_id, credit_note_number, customer_id,
    invoice_id, issue_date, currency, total, reason, status, cfdi_uuid, updated_at) values
    ('L1', 'csv', '2026-11-01 06:00+00', 'CN1', 'NC-0001', 'C003', 'I003', '2026-06-15', 'MXN', 800.00, 'descuento', 'posted', 'uuid-cn1', '2026-06-15 12:00+00');

insert into raw.payments (load_id, source, loaded_at, payment_id, payment_number, customer_id,
    payment_date, currency, amount, method, status, updated_at) values
    ('L1', 'erp', '2026-11-01 06:00+00', 'P001', 'PAY-001', 'C001', '2026-10-20', 'MXN', 5000.00, 'transfer', 'posted', '2026-10-20 12:00+00'),
    ('L1', 'csv', '2026-11-01 06:00+00', 'P003', 'PAY-003', 'C003', '2026-07-10', 'MXN', 5000.00, 'transfer', 'posted', '2026-07-10 12:00+00'),
    ('L1', 'csv', '2026-11-01 06:00+00', 'P004', 'PAY-004', 'C003', '2026-09-10', 'MXN', 2320.00, 'check', 'cancel', '2026-09-12 12:00+00'),
    ('L2', 'erp', '2026-11-24 06:00+00', 'P005', 'PAY-005', 'C004', '2026-11-23', 'USD', 200.00, 'transfer', 'posted', '2026-11-23 12:00+00');

insert into raw.payment_allocations (load_id, source, loaded_at, allocation_id, payment_id, invoice_id,
    amount, allocation_date, updated_at) values
    ('L1', 'erp', '2026-11-01 06:00+00', 'A001', 'P001', 'I001', 5000.00, '2026-10-20', '2026-10-20 12:00+00'),
    ('L1', 'csv', '2026-11-01 06:00+00', 'A003', 'P003', 'I003', 5000.00, '2026-07-10', '2026-07-10 12:00+00'),
    ('L1', 'csv', '2026-11-01 06:00+00', 'A004', 'P004', 'I004', 2320.00, '2026-09-10', '2026-09-10 12:00+00'),
    ('L2', 'erp', '2026-11-24 06:00+00', 'A005', 'P005', 'I005', 200.00, '2026-11-23', '2026-11-23 12:00+00');

insert into raw.disputes (load_id, source, loaded_at, dispute_id, invoice_id, customer_id, opened_date,
    resolved_date, reason, status, updated_at) values
    ('L1', 'csv', '2026-11-01 06:00+00', 'D1', 'I004', 'C003', '2026-09-01', null, 'mercancía dañada', 'open', '2026-09-01 12:00+00'),
    ('L1', 'erp', '2026-11-01 06:00+00', 'D2', 'I005', 'C004', '2026-09-20', null, 'precio', 'open', '2026-09-20 12:00+00'),
    ('L2', 'erp', '2026-11-24 06:00+00', 'D2', 'I005', 'C004', '2026-09-20', '2026-10-01', 'precio', 'resolved', '2026-10-01 12:00+00'),
    ('L2', 'erp', '2026-11-24 06:00+00', 'D3', 'I001', 'C001', '2026-11-30', null, 'factura duplicada', 'open', '2026-11-30 12:00+00');
