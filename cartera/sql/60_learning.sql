-- ops: the learner of channel, hour and tone (owned by cartera/learning). Idempotent: safe to run on every start.
-- Instants are passed in by the caller; nothing defaults to now(), so a rerun of a past day writes the same values.
create schema if not exists ops;

-- The learner's state, versioned: every update is a new row; the latest version of a learner is its state.
create table if not exists ops.learner_state (
    learner text not null,
    version integer not null check (version >= 1),
    parent_version integer,
    created_at timestamptz not null,
    source text not null,               -- 'warm_start' | 'outcomes' (fct_message_outcomes) | 'simulation'
    outcomes integer not null default 0, -- outcomes added by this version
    state jsonb not null,               -- cartera.learning.thompson.ThompsonLearner.to_json()
    primary key (learner, version)
);

-- The control group: who stays on the fixed playbook, by a hash of the customer id and a salt.
create table if not exists ops.learning_assignments (
    learner text not null,
    customer_id text not null,
    salt text not null,
    control_share numeric(5, 4) not null,
    grp text not null check (grp in ('control', 'learner')),
    assigned_at timestamptz not null,
    primary key (learner, customer_id, salt)
);

-- What the strategy chose for each message and why, with the context: the learner's rewards join
-- this to marts.fct_message_outcomes by idempotency key (through ops.outbox).
create table if not exists ops.learner_decisions (
    decision_id bigserial primary key,
    learner text not null,
    state_version integer not null,
    decided_at timestamptz not null,
    as_of_date date not null,
    customer_id text not null,
    idempotency_key text,
    grp text not null check (grp in ('control', 'learner', 'fixed')),
    mode text not null,                 -- playbook | exploit | explore | no_lawful_arm
    channel text,
    hour_block text,
    tone text,
    segment text,
    bucket text,
    reason_es text not null,
    reason_en text not null,
    rewarded_in_version integer          -- the state version that learned from its outcome
);
create unique index if not exists learner_decisions_key_idx on ops.learner_decisions (learner, idempotency_key);

-- The preventive plan's reasons: a step kept, dropped, delayed or handed to a collector.
create table if not exists ops.learner_plan_notes (
    learner text not null,
    as_of_date date not null,
    customer_id text not null,
    step text not null,
    action text not null check (action in ('keep', 'drop', 'delay', 'escalate')),
    code text not null,
    reason_es text not null,
    reason_en text not null,
    primary key (learner, as_of_date, customer_id, step)
);
