-- ops.contact_decisions: every decision about a message, one row each (written by
-- cartera/policy/audit.py only). Idempotent: safe to run on every start.
-- Whoever decided — the policy engine (its rule pack and version), the campaigns' collectibility and
-- reachability rules (CAMPAIGNS/...), the playbook (playbook/...), the learner's choice
-- (learning/strategy) — at build, preview or send, so a person can answer "why did (or didn't) this
-- customer get a message?". `inputs` summarises what the engine saw (country, zones, counts, hold
-- kinds, consent flags) and never holds a name, address, e-mail or phone; `content_sha256` is the
-- SHA-256 of the rendered text judged (never the text). Instants are timestamptz passed in by the
-- caller (no now() defaults).
create schema if not exists ops;

create table if not exists ops.contact_decisions (
    decision_id bigserial primary key,
    decided_at timestamptz not null,
    stage text not null,                          -- build | preview | send
    batch_id text,
    outbox_id bigint,
    idempotency_key text,
    customer_id text not null,
    invoice_ids text[] not null default '{}',     -- the invoices of the message decided on
    blocked_invoice_ids text[] not null default '{}',  -- those a denial concerns (paid, held, ...)
    step text,                                    -- the playbook step the line is recorded under
    channel text,                                 -- null before a channel was chosen
    recipient_role text not null default 'debtor',
    proposed_at timestamptz not null,             -- the instant judged
    verdict text not null check (verdict in ('allow', 'defer', 'deny')),
    next_allowed_at timestamptz,
    rule_pack_id text not null,                   -- a country pack, or CAMPAIGNS / playbook / learning
    rule_pack_version text not null,
    rule_id text not null,
    reason_codes text[] not null,
    reason_es text not null,
    reason_en text not null,
    reasons jsonb not null default '[]',
    inputs jsonb not null default '{}',
    content_sha256 text
    -- the other checks are added below, in one place for new and migrated tables alike
);

-- Migration from the two tables this one replaces: ops.contact_decisions of the old shape (one
-- reason_code, one invoice_id, no rule pack) and ops.policy_decisions (the engine's decisions only,
-- most of them also recorded in the old contact_decisions). The old rows are brought to the new
-- shape (rule_pack_version 'unrecorded': the old table did not record one), each engine decision is
-- paired with the line the campaigns wrote for the same event (same stage, outbox row or key,
-- customer, instant, channel, verdict, rule and first reason; the n-th with the n-th when a day was
-- rebuilt), which takes its details; decisions without such a line are added; then the old table is
-- dropped. Run again, nothing here applies.
do $$
begin
    -- Two processes starting at once must not both migrate (the lock ends with the transaction).
    perform pg_advisory_xact_lock(hashtext('cartera:contact_decisions:migration'));
    if exists (
        select 1 from information_schema.columns
        where table_schema = 'ops' and table_name = 'contact_decisions' and column_name = 'reason_code'
    ) then
        alter table ops.contact_decisions
            add column if not exists invoice_ids text[] not null default '{}',
            add column if not exists blocked_invoice_ids text[] not null default '{}',
            add column if not exists recipient_role text not null default 'debtor',
            add column if not exists proposed_at timestamptz,
            add column if not exists rule_pack_id text,
            add column if not exists rule_pack_version text,
            add column if not exists reason_codes text[],
            add column if not exists reasons jsonb not null default '[]',
            add column if not exists inputs jsonb not null default '{}',
            add column if not exists content_sha256 text;
        update ops.contact_decisions set
            invoice_ids = case when invoice_id is null then '{}' else array[invoice_id] end,
            blocked_invoice_ids = case when invoice_id is null or verdict <> 'deny' then '{}' else array[invoice_id] end,
            proposed_at = decided_at,
            rule_pack_id = split_part(rule_id, '/', 1),
            rule_pack_version = 'unrecorded',
            reason_codes = array[reason_code],
            reasons = jsonb_build_array(jsonb_build_object(
                'code', reason_code, 'rule_id', rule_id, 'effect', verdict, 'es', reason_es, 'en', reason_en,
                'verification', ''));
        alter table ops.contact_decisions
            drop column invoice_id,
            drop column reason_code,
            alter column proposed_at set not null,
            alter column rule_pack_id set not null,
            alter column rule_pack_version set not null,
            alter column reason_codes set not null;
    end if;

    -- The checks, for a new table and a migrated one alike (the old stage check knew no 'preview'),
    -- before the engine's decisions come in.
    if not exists (
        select 1 from pg_constraint
        where conname = 'contact_decisions_stage_check' and conrelid = 'ops.contact_decisions'::regclass
          and pg_get_constraintdef(oid) like '%preview%'
    ) then
        alter table ops.contact_decisions drop constraint if exists contact_decisions_stage_check;
        alter table ops.contact_decisions add constraint contact_decisions_stage_check
            check (stage in ('build', 'preview', 'send'));
    end if;
    if not exists (
        select 1 from pg_constraint
        where conname = 'contact_decisions_defer_has_next' and conrelid = 'ops.contact_decisions'::regclass
    ) then
        alter table ops.contact_decisions
            add constraint contact_decisions_defer_has_next
                check ((verdict = 'defer') = (next_allowed_at is not null)),
            add constraint contact_decisions_recipient_role_check
                check (recipient_role in ('debtor', 'guarantor', 'joint_obligor', 'authorised_contact', 'family',
                                          'employer', 'third_party')),
            add constraint contact_decisions_content_sha256_check check (content_sha256 ~ '^[0-9a-f]{64}$');
    end if;

    if to_regclass('ops.policy_decisions') is not null then
        -- Columns the oldest copies of the table were created without.
        alter table ops.policy_decisions
            add column if not exists recipient_role text not null default 'debtor',
            add column if not exists content_sha256 text;
        create temporary table contact_decision_pairs as
        with engine as (
            select p.decision_id, p.stage, p.customer_id, p.decided_at, p.channel, p.outbox_id, p.idempotency_key,
                   p.verdict, p.rule_id, p.reason_codes[1] as code,
                   row_number() over (
                       partition by p.stage, p.customer_id, p.decided_at, p.channel, p.outbox_id, p.idempotency_key,
                                    p.verdict, p.rule_id, p.reason_codes[1]
                       order by p.decision_id) as n
            from ops.policy_decisions p
        ), lines as (
            select c.decision_id, c.stage, c.customer_id, c.decided_at, c.channel, c.outbox_id, c.idempotency_key,
                   c.verdict, c.rule_id, c.reason_codes[1] as code,
                   row_number() over (
                       partition by c.stage, c.customer_id, c.decided_at, c.channel, c.outbox_id, c.idempotency_key,
                                    c.verdict, c.rule_id, c.reason_codes[1]
                       order by c.decision_id) as n
            from ops.contact_decisions c
            where c.rule_pack_version = 'unrecorded'
        )
        select l.decision_id as line_id, e.decision_id as engine_id
        from engine e
        join lines l
          on l.stage = e.stage and l.customer_id = e.customer_id and l.decided_at = e.decided_at
         and l.channel is not distinct from e.channel and l.outbox_id is not distinct from e.outbox_id
         and l.idempotency_key is not distinct from e.idempotency_key and l.verdict = e.verdict
         and l.rule_id = e.rule_id and l.code is not distinct from e.code and l.n = e.n;

        update ops.contact_decisions c set
            batch_id = coalesce(c.batch_id, p.batch_id),
            invoice_ids = p.invoice_ids,
            blocked_invoice_ids = p.blocked_invoice_ids,
            recipient_role = p.recipient_role,
            proposed_at = p.proposed_at,
            next_allowed_at = p.next_allowed_at,
            rule_pack_id = p.rule_pack_id,
            rule_pack_version = p.rule_pack_version,
            reason_codes = p.reason_codes,
            reason_es = p.reason_es,
            reason_en = p.reason_en,
            reasons = p.reasons,
            inputs = p.inputs,
            content_sha256 = p.content_sha256
        from contact_decision_pairs pair
        join ops.policy_decisions p on p.decision_id = pair.engine_id
        where c.decision_id = pair.line_id;

        insert into ops.contact_decisions (
            decided_at, stage, batch_id, outbox_id, idempotency_key, customer_id, invoice_ids, blocked_invoice_ids,
            channel, recipient_role, proposed_at, verdict, next_allowed_at, rule_pack_id, rule_pack_version, rule_id,
            reason_codes, reason_es, reason_en, reasons, inputs, content_sha256)
        select p.decided_at, p.stage, p.batch_id, p.outbox_id, p.idempotency_key, p.customer_id, p.invoice_ids,
               p.blocked_invoice_ids, p.channel, p.recipient_role, p.proposed_at, p.verdict, p.next_allowed_at,
               p.rule_pack_id, p.rule_pack_version, p.rule_id, p.reason_codes, p.reason_es, p.reason_en, p.reasons,
               p.inputs, p.content_sha256
        from ops.policy_decisions p
        where not exists (select 1 from contact_decision_pairs pair where pair.engine_id = p.decision_id)
        order by p.decision_id;

        drop table contact_decision_pairs;
        drop table ops.policy_decisions;
    end if;
end $$;

create index if not exists contact_decisions_customer_idx on ops.contact_decisions (customer_id, decided_at);
create index if not exists contact_decisions_rule_idx on ops.contact_decisions (rule_id, decided_at);
