-- ops: what providers tell us back (owned by cartera/receiver and cartera/replies).
-- Idempotent: safe to run on every start. Instants are timestamptz passed in by the caller.

-- One row per provider event, stored once: a retried webhook hits the unique key and changes
-- nothing. Addresses and numbers are never stored in clear here (sha256 hashes in the payload);
-- a reply's text lives only in ops.inbound_replies.
create table if not exists ops.message_events (
    event_id bigserial primary key,
    provider text not null check (provider in ('sendgrid', 'twilio')),
    provider_event_id text not null,
    event_type text not null,
    provider_event_type text,
    channel text check (channel in ('email', 'sms', 'whatsapp')),
    occurred_at timestamptz,
    received_at timestamptz not null,
    provider_message_id text,
    outbox_id bigint,
    idempotency_key text,
    customer_id text,
    payload jsonb not null,
    constraint message_events_provider_event_key unique (provider, provider_event_id)
);
create index if not exists message_events_outbox_idx on ops.message_events (outbox_id) where outbox_id is not null;
create index if not exists message_events_customer_idx on ops.message_events (customer_id, received_at);

-- Signed SendGrid requests already accepted (hash of the signature): a replayed request is refused.
-- Rows older than the replay tolerance are pruned by the receiver.
create table if not exists ops.webhook_signatures (
    provider text not null,
    signature_sha256 text not null,
    received_at timestamptz not null,
    primary key (provider, signature_sha256)
);
create index if not exists webhook_signatures_received_idx on ops.webhook_signatures (received_at);

-- Delivery as the provider reports it. `status` stays the dispatcher's (the send); these are
-- written by the receiver only.
alter table ops.outbox add column if not exists delivery_status text;
alter table ops.outbox add column if not exists delivered_at timestamptz;
alter table ops.outbox add column if not exists opened_at timestamptz;
alter table ops.outbox add column if not exists clicked_at timestamptz;
alter table ops.outbox add column if not exists bounced_at timestamptz;
alter table ops.outbox add column if not exists delivery_updated_at timestamptz;
create index if not exists outbox_provider_message_idx on ops.outbox (provider_message_id)
    where provider_message_id is not null;

-- Replies read by cartera/replies: the collectors' inbox. `text` is personal data (pii): shown to
-- collectors, never logged, never copied into events or audit rows.
create table if not exists ops.inbound_replies (
    reply_id bigserial primary key,
    provider text not null,
    provider_message_id text not null,
    channel text not null check (channel in ('email', 'sms', 'whatsapp')),
    received_at timestamptz not null,
    customer_id text,
    matched_by text,
    outbox_id bigint,
    classification text not null
        check (classification in ('opt_out', 'payment_reported', 'promise_to_pay', 'dispute', 'unknown')),
    route text not null check (route in ('opt_out', 'hold', 'inbox', 'unmatched')),
    rule text not null,
    promise_date date,
    confirmation_due boolean not null default false,
    confirmation_sent_at timestamptz,
    text text,
    text_is_personal boolean not null default true,
    sender_sha256 text,
    event_id bigint references ops.message_events (event_id),
    constraint inbound_replies_provider_message_key unique (provider, provider_message_id)
);
create index if not exists inbound_replies_customer_idx on ops.inbound_replies (customer_id, received_at);
create index if not exists inbound_replies_confirmation_idx on ops.inbound_replies (received_at)
    where confirmation_due and confirmation_sent_at is null;

-- Reply tasks (a dispute, a reported payment, the inbox) belong to no campaign batch.
alter table ops.collection_tasks alter column batch_id drop not null;
alter table ops.collection_tasks add column if not exists reply_id bigint;
-- A hold opened by a reply names it (the promise's or dispute's source).
alter table ops.holds add column if not exists reply_id bigint;
