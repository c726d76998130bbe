-- ops.batch_approvals: a batch that must be seen by a person before anything of it is sent
-- (cartera/campaigns/approval.py). No row: the batch needs no approval. Dispatch claims a
-- batch's rows only when it has no row here or its row is 'approved'. Idempotent DDL.
create schema if not exists ops;
alter table ops.campaign_batches add column if not exists policy_version text;
create table if not exists ops.batch_approvals (
    batch_id text primary key references ops.campaign_batches (batch_id),
    status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
    reasons jsonb not null,
    preview jsonb not null,
    requested_at timestamptz not null,
    decided_by text,
    decided_at timestamptz,
    note text
);
