-- ops.collector_assignments: which collector works which customer (the portfolio), set with
-- `cartera portfolio assign` or by an admin on the customer's page (cartera/collector_assignments.py).
-- The synthetic ERP, like the CSV imports, carries no collector or salesperson field, so the
-- assignment lives here, in the collections tool, as AR teams keep it. A collector is the name
-- they sign in with (Airflow's username). Append-only history: a reassignment ends the current
-- row (ended_at, ended_by) and adds one; at most one current row per customer.
create schema if not exists ops;
create table if not exists ops.collector_assignments (
    assignment_id bigserial primary key,
    customer_id text not null,
    collector text not null check (collector ~ '^[A-Za-z0-9_.@-]{1,64}$'),
    assigned_at timestamptz not null,
    assigned_by text not null,
    ended_at timestamptz,
    ended_by text,
    check ((ended_at is null) = (ended_by is null))
);
create unique index if not exists collector_assignments_current_idx
    on ops.collector_assignments (customer_id) where ended_at is null;
create index if not exists collector_assignments_collector_idx
    on ops.collector_assignments (collector) where ended_at is null;
