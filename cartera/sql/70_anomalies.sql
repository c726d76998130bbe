-- Anomaly alerts (cartera/anomalies, issue #14). Idempotent: safe to run on every start.
create schema if not exists ops;
create schema if not exists raw;

-- The customer an anomaly alert is about (invoice- and payment-level alerts name one too), so a
-- confirmed fraud can hold that customer's campaigns.
alter table ops.alerts add column if not exists customer_id text;

-- A hold reason for fraud under review: the campaigns map it to do-not-contact (deny).
do $$
begin
    if not exists (
        select 1 from pg_constraint
        where conname = 'holds_reason_check' and conrelid = 'ops.holds'::regclass
          and pg_get_constraintdef(oid) like '%fraud_review%'
    ) then
        alter table ops.holds drop constraint if exists holds_reason_check;
        alter table ops.holds add constraint holds_reason_check check (reason in
            ('dispute', 'promise_to_pay', 'payment_reported', 'legal', 'manual', 'fraud_review'));
    end if;
end $$;
alter table ops.holds add column if not exists alert_id bigint;
create index if not exists holds_alert_idx on ops.holds (alert_id) where alert_id is not null;

-- Confirming an alert of a fraud kind holds every invoice of its customer (one open hold per
-- alert); dismissing an alert releases the holds it opened (a duplicate invoice's hold, or the
-- customer's after a change of mind). In the database so every door (dashboard, CLI, SQL) does it
-- in the same transaction as the decision. The kinds are cartera.anomalies.detect.FRAUD_KINDS.
create or replace function ops.anomaly_alert_decided() returns trigger language plpgsql as $$
begin
    if new.status = 'confirmed' and old.status is distinct from 'confirmed' and new.source = 'anomaly'
       and new.customer_id is not null
       and new.kind in ('duplicate_invoice', 'invoice_backdated', 'invoice_edited', 'credit_note_after_payment',
                        'credit_note_unusual', 'contact_changed_before_request', 'terms_changed', 'sat_69b_listed')
       and not exists (select 1 from ops.holds h where h.alert_id = new.alert_id and h.invoice_id is null
                       and h.released_at is null) then
        insert into ops.holds (customer_id, invoice_id, reason, opened_at, note, alert_id)
        values (new.customer_id, null, 'fraud_review', coalesce(new.decided_at, now()),
                'anomaly alert ' || new.alert_id || ' confirmed', new.alert_id);
    end if;
    if new.status = 'dismissed' and old.status is distinct from 'dismissed' then
        update ops.holds set released_at = coalesce(new.decided_at, now())
        where alert_id = new.alert_id and released_at is null;
    end if;
    return new;
end $$;
drop trigger if exists alerts_anomaly_decided on ops.alerts;
create trigger alerts_anomaly_decided after update of status on ops.alerts
    for each row execute function ops.anomaly_alert_decided();

-- High-severity anomaly alerts e-mailed to finance: one row per alert, written before the request
-- leaves (so an alert is never e-mailed twice); outcome after it.
create table if not exists ops.alert_notifications (
    alert_id bigint primary key references ops.alerts (alert_id),
    channel text not null,
    idempotency_key text not null unique,
    started_at timestamptz not null,
    finished_at timestamptz,
    outcome text check (outcome in ('accepted', 'not_sent', 'unknown', 'auth')),
    provider_message_id text,
    error_code text
);

-- SAT's list of taxpayers presumed to invoice simulated operations (art. 69-B CFF), one row per
-- row of a published file; list_published is the file's "Información actualizada al" date.
create table if not exists raw.sat_69b (
    load_id text not null, source text not null default 'sat_69b', loaded_at timestamptz not null default now(),
    list_published date not null, row_no integer, rfc text not null, taxpayer_name text, situation text not null,
    presumed_office_sat text, presumed_published_sat date, presumed_office_dof text, presumed_published_dof date,
    cleared_office_sat text, cleared_published_sat date, cleared_office_dof text, cleared_published_dof date,
    definitive_office_sat text, definitive_published_sat date, definitive_office_dof text, definitive_published_dof date,
    favourable_office_sat text, favourable_published_sat date, favourable_office_dof text, favourable_published_dof date
);
create index if not exists sat_69b_rfc_idx on raw.sat_69b (rfc, list_published);
