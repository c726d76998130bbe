-- ops: campaigns (owned by cartera/campaigns). Idempotent: safe to run on every start.
-- Instants are timestamptz (UTC) passed in by the caller; no column defaults to now(), so a
-- rerun of a past day writes the same values.
create schema if not exists ops;

-- One row per business date a batch was built for (rebuilding the day updates the counts).
create table if not exists ops.campaign_batches (
    batch_id text primary key,
    as_of_date date not null unique,
    playbook_version text not null,
    planned_at timestamptz not null,
    candidates integer not null,
    enqueued integer not null,
    escalated integer not null,
    denied integer not null,
    deferred integer not null,
    builds integer not null default 0,
    last_built_at timestamptz not null
);

-- One row per message: (customer, invoice set, step, channel, day) -> idempotency_key.
-- Status: pending -> sending -> sent | cancelled | deferred (-> sending again) | failed (retried).
create table if not exists ops.outbox (
    outbox_id bigserial primary key,
    idempotency_key text not null,
    batch_id text not null references ops.campaign_batches (batch_id),
    as_of_date date not null,
    customer_id text not null,
    invoice_ids text[] not null check (cardinality(invoice_ids) > 0),
    step text not null,
    template text not null,
    tone text not null check (tone in ('amable', 'firme', 'escalamiento')),
    channel text not null check (channel in ('email', 'whatsapp', 'sms')),
    status text not null default 'pending'
        check (status in ('pending', 'sending', 'sent', 'deferred', 'cancelled', 'failed')),
    not_before timestamptz not null,
    created_at timestamptz not null,
    attempts integer not null default 0,
    claimed_at timestamptz,
    sent_at timestamptz,
    provider_message_id text,
    status_reason text,
    last_error text,
    updated_at timestamptz not null,
    constraint outbox_idempotency_key_key unique (idempotency_key)
);
create index if not exists outbox_due_idx on ops.outbox (not_before) where status in ('pending', 'deferred', 'failed');
create index if not exists outbox_customer_idx on ops.outbox (customer_id, sent_at);

-- Escalations: a collector's queue, no automatic message.
create table if not exists ops.collection_tasks (
    task_id bigserial primary key,
    idempotency_key text not null unique,
    batch_id text not null references ops.campaign_batches (batch_id),
    as_of_date date not null,
    customer_id text not null,
    invoice_ids text[] not null,
    step text not null,
    queue text not null,
    status text not null default 'open' check (status in ('open', 'done', 'cancelled')),
    created_at timestamptz not null
);

-- Audit: every allow/defer/deny about a message is one row of ops.contact_decisions, created (and
-- migrated from the two tables it replaced) in 25_policy.sql, beside its writer cartera/policy/audit.py.

-- Stops on collection: one invoice, or every invoice of a customer when invoice_id is null.
create table if not exists ops.holds (
    hold_id bigserial primary key,
    customer_id text not null,
    invoice_id text,
    reason text not null check (reason in ('dispute', 'promise_to_pay', 'payment_reported', 'legal', 'manual')),
    opened_at timestamptz not null,
    released_at timestamptz,
    note text
);
create index if not exists holds_customer_idx on ops.holds (customer_id);
-- A promise to pay carries its date: reminders wait until it (plus the rule pack's grace).
alter table ops.holds add column if not exists until timestamptz;

-- Opt-outs by customer and channel ('all' = every channel); keyed by id, never by address.
create table if not exists ops.opt_outs (
    customer_id text not null,
    channel text not null check (channel in ('email', 'whatsapp', 'sms', 'all')),
    opted_out_at timestamptz not null,
    revoked_at timestamptz,
    source text not null default 'manual',
    primary key (customer_id, channel, opted_out_at)
);

-- Exactly once in effect (cartera/campaigns/dispatch.py, docs/reliability.md).
-- Status adds 'unknown' (a request may have reached the provider: reconciled before anything
-- else) and 'review' (no confirmation inside the reconciliation window: a person decides).
do $$
begin
    if not exists (
        select 1 from pg_constraint
        where conname = 'outbox_status_check' and conrelid = 'ops.outbox'::regclass
          and pg_get_constraintdef(oid) like '%review%'
    ) then
        alter table ops.outbox drop constraint if exists outbox_status_check;
        alter table ops.outbox add constraint outbox_status_check check (status in
            ('pending', 'sending', 'sent', 'deferred', 'cancelled', 'failed', 'unknown', 'review'));
    end if;
end $$;
-- A claim is a lease: a row still 'sending' after lease_until is reclaimed by the next dispatch.
alter table ops.outbox add column if not exists lease_until timestamptz;
alter table ops.outbox add column if not exists provider text;
create index if not exists outbox_inflight_idx on ops.outbox (status, lease_until)
    where status in ('sending', 'unknown', 'review');

-- One row per request that may leave for a provider, committed BEFORE the request: after a
-- crash, a started attempt without an outcome means "maybe sent", never "not sent".
create table if not exists ops.send_attempts (
    attempt_id bigserial primary key,
    outbox_id bigint not null references ops.outbox (outbox_id),
    idempotency_key text not null,
    attempt_no integer not null,
    channel text not null,
    provider text not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    outcome text check (outcome in ('accepted', 'not_sent', 'unknown', 'auth', 'found', 'not_found', 'released')),
    http_status integer,
    error_code text,
    provider_message_id text,
    content_sha256 text,
    dispatcher text,
    unique (outbox_id, attempt_no)
);
create index if not exists send_attempts_open_idx on ops.send_attempts (outbox_id) where finished_at is null;

-- One circuit per provider, shared by every dispatcher process.
create table if not exists ops.provider_circuits (
    provider text primary key,
    consecutive_failures integer not null default 0,
    open_until timestamptz,
    last_error text,
    updated_at timestamptz not null
);

-- One message per customer per day (cartera/campaigns/daily_message.py): a row lists every open
-- invoice of its customer in the tone of the firmest due step (`step`); `steps` names every step
-- it covers and `step_invoices` the 'step:invoice_id' pairs it fired, so each step still fires at
-- most once per invoice. Null on rows written before: those fired `step` for each invoice listed.
alter table ops.outbox add column if not exists steps text[];
alter table ops.outbox add column if not exists step_invoices text[];
