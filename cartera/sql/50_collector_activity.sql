-- ops.collector_activity: what a collector did about a customer (cartera/collector_actions.py):
-- a call and its outcome, a note, and every hold, promise, dispute or opt-out recorded from the
-- workspace or the CLI, with who and when. The holds and opt-outs themselves stay in ops.holds
-- and ops.opt_outs (what the contact policy reads); this is the collectors' log and the audit of
-- who recorded them. `note` is a collector's free text, refused when it looks like personal data.
create schema if not exists ops;
create table if not exists ops.collector_activity (
    activity_id bigserial primary key,
    recorded_at timestamptz not null,
    recorded_by text not null,
    customer_id text not null,
    invoice_id text,
    kind text not null
        check (kind in ('call', 'note', 'promise', 'hold', 'dispute_opened', 'dispute_closed', 'opt_out')),
    outcome text,
    promised_date date,
    hold_id bigint,
    note text
);
create index if not exists collector_activity_customer_idx on ops.collector_activity (customer_id, recorded_at);
