-- ops: which strategy each customer is served by, and the live uplift's per-customer facts
-- (owned by cartera/learning: roster.py assigns, uplift.py reads). Idempotent: safe on every start.

-- One row per (experiment, customer): the arm a customer was randomized to the first time a build
-- had a step for it, and its segment then (a pre-treatment covariate: later segments depend on
-- how the customer was collected). An experiment is one roster: the learned strategy set by
-- CARTERA_STRATEGY ('setting:learned'), or a champion with its challenger ('roster:<decision id>').
create table if not exists ops.strategy_assignments (
    experiment text not null,
    customer_id text not null,
    arm text not null check (arm in ('control', 'champion', 'challenger')),
    strategy text not null,               -- what serves the arm: 'fixed' | 'learned'
    segment text,
    assigned_on date not null,            -- the business date of the build that assigned it
    assigned_at timestamptz not null,
    primary key (experiment, customer_id)
);
create index if not exists strategy_assignments_arm_idx on ops.strategy_assignments (experiment, arm);

-- Per customer of an experiment, what its collection looked like from p_from to p_to (business
-- dates, both included): messages sent, opt-outs and spam complaints, the amount falling due by
-- p_to - 30 and what of it was paid within 30 days of its due date (MXN at the invoice's rate),
-- the invoices falling due and those settled on or before their due date, and the receivable
-- still open. Reads the marts (fct_invoices, fct_payment_allocations as last built) and ops.
-- plpgsql on purpose: bound when called, so it survives dbt rebuilding the marts under it.
create or replace function ops.strategy_customer_facts(p_experiment text, p_from date, p_to date)
returns table (
    customer_id text, arm text, strategy text, segment text, messages bigint, opt_outs bigint,
    complaints bigint, due30_mxn numeric, paid30_mxn numeric, due_n bigint, on_time_n bigint, ar_mxn numeric
)
language plpgsql stable as $$
#variable_conflict use_column
begin
    return query
    with assigned as (
        select a.customer_id, a.arm, a.strategy, a.segment
        from ops.strategy_assignments a
        where a.experiment = p_experiment and a.assigned_on <= p_to
    ),
    sent as (
        select o.customer_id, count(*) as messages
        from ops.outbox o
        where o.status = 'sent' and o.as_of_date between p_from and p_to
        group by o.customer_id
    ),
    opted as (
        select x.customer_id, count(*) as opt_outs
        from ops.opt_outs x
        where (x.opted_out_at at time zone 'America/Mexico_City')::date between p_from and p_to
        group by x.customer_id
    ),
    complained as (
        select o.customer_id, count(distinct e.outbox_id) as complaints
        from ops.message_events e
        join ops.outbox o on o.outbox_id = e.outbox_id
        where e.event_type = 'spamreport' and o.as_of_date between p_from and p_to
        group by o.customer_id
    ),
    due as (
        select i.customer_id, i.invoice_id, i.due_date, i.settled_date, i.open_amount_mxn,
               i.total_amount_mxn, i.total_amount_mxn / nullif(i.total_amount, 0) as rate
        from marts.fct_invoices i
        where i.customer_id in (select assigned.customer_id from assigned)
    ),
    paid30 as (
        select d.invoice_id, sum(p.amount * d.rate) as paid_mxn
        from due d
        join marts.fct_payment_allocations p on p.invoice_id = d.invoice_id
        where d.due_date between p_from and p_to - 30 and p.allocation_date <= d.due_date + 30
        group by d.invoice_id
    ),
    books as (
        select d.customer_id,
               sum(d.total_amount_mxn) filter (where d.due_date between p_from and p_to - 30) as due30_mxn,
               sum(least(coalesce(paid30.paid_mxn, 0), d.total_amount_mxn))
                   filter (where d.due_date between p_from and p_to - 30) as paid30_mxn,
               count(*) filter (where d.due_date between p_from and p_to) as due_n,
               count(*) filter (where d.due_date between p_from and p_to and d.settled_date <= d.due_date) as on_time_n,
               sum(d.open_amount_mxn) as ar_mxn
        from due d
        left join paid30 on paid30.invoice_id = d.invoice_id
        group by d.customer_id
    )
    select a.customer_id, a.arm, a.strategy, a.segment,
           coalesce(sent.messages, 0), coalesce(opted.opt_outs, 0), coalesce(complained.complaints, 0),
           coalesce(books.due30_mxn, 0), coalesce(books.paid30_mxn, 0), coalesce(books.due_n, 0),
           coalesce(books.on_time_n, 0), coalesce(books.ar_mxn, 0)
    from assigned a
    left join sent on sent.customer_id = a.customer_id
    left join opted on opted.customer_id = a.customer_id
    left join complained on complained.customer_id = a.customer_id
    left join books on books.customer_id = a.customer_id
    order by a.customer_id;
end;
$$;

-- Per customer of an experiment, its credit sales (MXN) per day counting back from p_to (0 = p_to)
-- over p_days days: what a countback DSO walks back through.
create or replace function ops.strategy_customer_sales(p_experiment text, p_to date, p_days integer)
returns table (customer_id text, days_back integer, sales_mxn numeric)
language plpgsql stable as $$
#variable_conflict use_column
begin
    return query
    select i.customer_id, (p_to - i.issue_date)::integer, sum(i.total_amount_mxn)
    from marts.fct_invoices i
    join ops.strategy_assignments a on a.customer_id = i.customer_id and a.experiment = p_experiment
    where i.issue_date between p_to - (p_days - 1) and p_to
    group by i.customer_id, i.issue_date
    order by 1, 2;
end;
$$;

-- Champion and challenger (cartera/learning/roster.py): every decision a person took about which
-- strategy serves the customers outside the control group, and every refused one, with who, when,
-- what and the evidence. The roster in force is read from the accepted ones: the champion is the
-- latest promoted strategy (the fixed playbook before any), the challenger the latest one started
-- if neither promoted nor rejected since. Append-only: nothing is updated or deleted.
create table if not exists ops.strategy_decisions (
    decision_id bigserial primary key,
    decided_at timestamptz not null,
    decided_by text not null check (length(btrim(decided_by)) >= 2),
    os_user text,                          -- the account the command ran under, beside the named person
    action text not null check (action in ('challenge', 'promote', 'reject', 'refused')),
    attempted text,                        -- for a refused decision: what was asked ('challenge', 'promote', 'reject')
    strategy text not null,                -- the challenger started, promoted or rejected
    champion_before text not null,
    challenger_share numeric(5, 4) check (challenger_share > 0 and challenger_share <= 0.5),
    experiment text,                       -- the experiment the evidence comes from
    metric text,                           -- the stated improvement: dso, cash_collected_30d, ...
    min_improvement numeric(7, 4),         -- the relative improvement its 95 % interval had to clear
    evidence jsonb not null default '{}'::jsonb,
    reason text not null,
    note text
);
