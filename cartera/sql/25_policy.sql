-- ops: contact policy decisions (owned by cartera/policy). Idempotent: safe to run on every start.
-- One row per decision of the policy engine, at build or at send, so a person can answer
-- "why did (or didn't) this customer get a message?". `inputs` summarises what the engine saw
-- (country, zones, counts, hold kinds, consent flags) and never holds a name, address, e-mail or
-- phone. Instants are timestamptz passed in by the caller (no now() defaults).
create schema if not exists ops;

create table if not exists ops.policy_decisions (
    decision_id bigserial primary key,
    decided_at timestamptz not null,
    stage text not null check (stage in ('build', 'send', 'preview')),
    customer_id text not null,
    channel text not null,
    invoice_ids text[] not null default '{}',
    proposed_at timestamptz not null,
    verdict text not null check (verdict in ('allow', 'defer', 'deny')),
    next_allowed_at timestamptz,
    rule_pack_id text not null,
    rule_pack_version text not null,
    rule_id text not null,
    reason_codes text[] not null,
    reason_es text not null,
    reason_en text not null,
    reasons jsonb not null,
    inputs jsonb not null,
    blocked_invoice_ids text[] not null default '{}',
    batch_id text,
    outbox_id bigint,
    idempotency_key text,
    constraint policy_decisions_defer_has_next check ((verdict = 'defer') = (next_allowed_at is not null))
);
create index if not exists policy_decisions_customer_idx on ops.policy_decisions (customer_id, decided_at);
create index if not exists policy_decisions_rule_idx on ops.policy_decisions (rule_id, decided_at);

-- Who the message was addressed to (the engine's recipient role) and, when the decision judged a
-- rendered text, the SHA-256 of that text (never the text itself). Added after the table existed:
-- `add column if not exists` keeps the file idempotent on old and new databases alike.
alter table ops.policy_decisions add column if not exists recipient_role text not null default 'debtor'
    check (recipient_role in ('debtor', 'guarantor', 'joint_obligor', 'authorised_contact', 'family', 'employer',
                              'third_party'));
alter table ops.policy_decisions add column if not exists content_sha256 text
    check (content_sha256 ~ '^[0-9a-f]{64}$');
