-- ops.alerts: what people must look at, from the platform itself (a failed batch, a tripped
-- circuit, stuck or unknown messages, a failed gate) and, later, from the anomaly detectors.
-- One row per fact (dedup_key): raising the same fact again counts it and refreshes last_seen_at,
-- and a dismissed alert stays dismissed for the same facts. Idempotent DDL.
create schema if not exists ops;
create table if not exists ops.alerts (
    alert_id bigserial primary key,
    dedup_key text not null unique,
    kind text not null,
    severity text not null check (severity in ('info', 'warning', 'high', 'critical')),
    source text not null default 'platform' check (source in ('platform', 'anomaly')),
    entity_type text,
    entity_id text,
    summary text not null,
    reasons jsonb not null default '[]'::jsonb,
    status text not null default 'new' check (status in ('new', 'confirmed', 'dismissed', 'resolved')),
    raised_at timestamptz not null,
    last_seen_at timestamptz not null,
    occurrences integer not null default 1,
    decided_by text,
    decided_at timestamptz
);
create index if not exists alerts_open_idx on ops.alerts (status, severity, last_seen_at);
