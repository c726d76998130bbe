-- A small book with reminders, provider events, replies, holds and opt-outs, for
-- test_contact_outcomes.py (dbt build as of 2026-11-24, attribution window 14 days, grace 2 days).
-- Times are UTC; the books' zone (Mexico City) is UTC-6, so 16:00 UTC is 10:00 that same day.
--
-- Customer C1 owes F1 (1,000 MXN), F2 (2,000 MXN) and F3 (100 USD at 18.00 = 1,800 MXN), all
-- issued 2026-10-01. Messages:
--   1 email    Mon 2026-11-02 names F1, F2 (3,000 owed); delivered and opened; replied with a
--              promise for 2026-11-15 on both.
--   2 whatsapp Thu 2026-11-05 names F1 (1,000 owed); delivered.
--   3 sms      Mon 2026-11-02 names F3 (1,800 owed); bounced; SMS opt-out the next day.
--   4 email    cancelled: never sent, not counted.
--   5 email    Fri 2026-11-20 names F2 (1,500 owed after P2); delivered; replied with a promise
--              for 2026-11-21.
-- Payments:
--   P1 2026-11-10 1,000 on F1: 8 days after message 1, 5 after message 2 (the last touch).
--   P2 2026-11-18   500 on F2: 16 days after message 1, outside the window: nobody's.
--   P3 2026-11-22 1,500 on F2: 2 days after message 5; F2 is settled that day.
-- Promises (holds):
--   1 F2, promised 2026-11-21 (reply to message 5): F2 settled 2026-11-22 <= 11-23 -> kept.
--   2 F1, promised 2026-11-15 (reply to message 1): F1 settled 2026-11-10 -> kept.
--   3 F2, promised 2026-11-15 (reply to message 1): F2 settled 2026-11-22 > 11-17 -> broken.
--   4 all of C1, set by hand on 2026-11-23 for 2026-11-25: covers F3 (the only invoice open at
--     the end of 11-22), deadline 11-27 not yet passed -> pending.

insert into raw.customers (load_id, source, customer_id, customer_name, state_code, credit_terms_days, updated_at)
values ('T', 'erp', 'C1', 'Cliente Uno', 'JAL', 30, '2026-01-01');

insert into raw.fx_rates (load_id, source, rate_date, currency, rate_to_mxn, updated_at)
values ('T', 'erp', '2026-10-01', 'USD', 18.000000, '2026-10-01');

insert into raw.invoices (load_id, source, invoice_id, invoice_number, customer_id, issue_date, due_date,
    currency, subtotal, tax, total, status, updated_at) values
    ('T', 'erp', 'F1', 'F-1', 'C1', '2026-10-01', '2026-10-31', 'MXN', 862.07, 137.93, 1000.00, 'posted', '2026-10-01'),
    ('T', 'erp', 'F2', 'F-2', 'C1', '2026-10-01', '2026-10-31', 'MXN', 1724.14, 275.86, 2000.00, 'posted', '2026-10-01'),
    ('T', 'erp', 'F3', 'F-3', 'C1', '2026-10-01', '2026-10-31', 'USD', 86.21, 13.79, 100.00, 'posted', '2026-10-01');

insert into raw.payments (load_id, source, payment_id, customer_id, payment_date, currency, amount, status, updated_at)
values
    ('T', 'erp', 'P1', 'C1', '2026-11-10', 'MXN', 1000.00, 'posted', '2026-11-10'),
    ('T', 'erp', 'P2', 'C1', '2026-11-18', 'MXN', 500.00, 'posted', '2026-11-18'),
    ('T', 'erp', 'P3', 'C1', '2026-11-22', 'MXN', 1500.00, 'posted', '2026-11-22');

insert into raw.payment_allocations (load_id, source, allocation_id, payment_id, invoice_id, amount,
    allocation_date, updated_at) values
    ('T', 'erp', 'A1', 'P1', 'F1', 1000.00, '2026-11-10', '2026-11-10'),
    ('T', 'erp', 'A2', 'P2', 'F2', 500.00, '2026-11-18', '2026-11-18'),
    ('T', 'erp', 'A3', 'P3', 'F2', 1500.00, '2026-11-22', '2026-11-22');

insert into ops.campaign_batches (batch_id, as_of_date, playbook_version, planned_at, candidates, enqueued,
    escalated, denied, deferred, last_built_at)
values ('B1', '2026-11-02', 'v1', '2026-11-02 12:00+00', 1, 5, 0, 0, 0, '2026-11-02 12:00+00');

insert into ops.outbox (outbox_id, idempotency_key, batch_id, as_of_date, customer_id, invoice_ids, step,
    template, tone, channel, status, not_before, created_at, updated_at, sent_at, provider_message_id,
    delivery_status, delivered_at, opened_at, bounced_at) values
    (1, 'k1', 'B1', '2026-11-02', 'C1', '{F1,F2}', 'vencido_1', 'recordatorio_vencido', 'amable', 'email', 'sent',
     '2026-11-02 15:00+00', '2026-11-02 12:00+00', '2026-11-02 16:00+00', '2026-11-02 16:00+00', 'sg-1',
     'opened', '2026-11-02 16:01+00', '2026-11-02 18:00+00', null),
    (2, 'k2', 'B1', '2026-11-05', 'C1', '{F1}', 'vencido_2', 'recordatorio_firme', 'firme', 'whatsapp', 'sent',
     '2026-11-05 15:00+00', '2026-11-05 12:00+00', '2026-11-05 16:00+00', '2026-11-05 16:00+00', 'tw-2',
     'delivered', '2026-11-05 16:01+00', null, null),
    (3, 'k3', 'B1', '2026-11-02', 'C1', '{F3}', 'vencido_1', 'recordatorio_vencido', 'amable', 'sms', 'sent',
     '2026-11-02 15:00+00', '2026-11-02 12:00+00', '2026-11-02 16:00+00', '2026-11-02 16:00+00', 'tw-3',
     'bounced', null, null, '2026-11-02 16:02+00'),
    (4, 'k4', 'B1', '2026-11-03', 'C1', '{F3}', 'vencido_1', 'recordatorio_vencido', 'amable', 'email', 'cancelled',
     '2026-11-03 15:00+00', '2026-11-03 12:00+00', '2026-11-03 16:00+00', null, null, null, null, null, null),
    (5, 'k5', 'B1', '2026-11-20', 'C1', '{F2}', 'vencido_3', 'recordatorio_firme', 'firme', 'email', 'sent',
     '2026-11-20 15:00+00', '2026-11-20 12:00+00', '2026-11-20 16:00+00', '2026-11-20 16:00+00', 'sg-5',
     'delivered', '2026-11-20 16:01+00', null, null);

insert into ops.message_events (provider, provider_event_id, event_type, provider_event_type, channel,
    occurred_at, received_at, provider_message_id, outbox_id, customer_id, payload) values
    ('sendgrid', 'e1', 'delivered', 'delivered', 'email', '2026-11-02 16:01+00', '2026-11-02 16:01+00', 'sg-1', 1, 'C1', '{}'),
    ('sendgrid', 'e2', 'opened', 'open', 'email', '2026-11-02 18:00+00', '2026-11-02 18:00+00', 'sg-1', 1, 'C1', '{}'),
    ('twilio', 'e3', 'bounced', 'undelivered', 'sms', '2026-11-02 16:02+00', '2026-11-02 16:02+00', 'tw-3', 3, 'C1', '{}');

insert into ops.opt_outs (customer_id, channel, opted_out_at, source)
values ('C1', 'sms', '2026-11-03 10:00+00', 'hard_bounce');

insert into ops.inbound_replies (reply_id, provider, provider_message_id, channel, received_at, customer_id,
    outbox_id, classification, route, rule, promise_date, text) values
    (11, 'sendgrid', 'in-1', 'email', '2026-11-04 17:00+00', 'C1', 1, 'promise_to_pay', 'hold', 'es.promise', '2026-11-15', 'Pago el 15'),
    (15, 'sendgrid', 'in-5', 'email', '2026-11-20 18:00+00', 'C1', 5, 'promise_to_pay', 'hold', 'es.promise', '2026-11-21', 'Pago mañana');

insert into ops.holds (hold_id, customer_id, invoice_id, reason, opened_at, until, reply_id) values
    (1, 'C1', 'F2', 'promise_to_pay', '2026-11-20 18:00+00', '2026-11-22 06:00+00', 15),
    (2, 'C1', 'F1', 'promise_to_pay', '2026-11-04 17:00+00', '2026-11-16 06:00+00', 11),
    (3, 'C1', 'F2', 'promise_to_pay', '2026-11-04 17:00+00', '2026-11-16 06:00+00', 11),
    (4, 'C1', null, 'promise_to_pay', '2026-11-23 17:00+00', '2026-11-26 06:00+00', null);
