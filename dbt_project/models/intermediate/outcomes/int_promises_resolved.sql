{%- set grace_days = var('promise_grace_days') | int -%}

with holds as (
    select * from {{ ref('stg_ops__holds') }}
),

replies as (
    select * from {{ ref('stg_ops__replies') }}
),

invoices as (
    select * from {{ ref('int_invoices_posted_as_of') }}
),

balance_periods as (
    select * from {{ ref('int_invoice_open_balance_periods_as_of') }}
),

settlement as (
    select * from {{ ref('int_invoice_settlement_as_of') }}
),

-- `held_until` is midnight starting the day after the promised day, in the debtor's zone for a
-- reply (whose promise_date is exact) and in the books' zone for a hold set by hand.
promises as (
    select
        holds.hold_id,
        holds.customer_id,
        holds.invoice_id,
        holds.reply_id,
        replies.channel as reply_channel,
        replies.outbox_id as reply_outbox_id,
        holds.opened_at,
        holds.released_at,
        cast(holds.opened_at at time zone '{{ var("books_timezone") }}' as date) as opened_date,
        coalesce(
            replies.promise_date,
            cast((holds.held_until at time zone '{{ var("books_timezone") }}') - interval '1 microsecond' as date)
        ) as promised_date
    from holds
    left join replies
        on holds.reply_id = replies.reply_id
    where
        holds.hold_reason = 'promise_to_pay'
        and holds.held_until is not null
        and cast(holds.opened_at at time zone '{{ var("books_timezone") }}' as date) <= {{ as_of_date() }}
),

-- A promise on one invoice covers it; a promise on the whole customer covers the invoices open
-- at the end of the day before it was made.
covered_invoices as (
    select
        promises.hold_id,
        invoices.invoice_id
    from promises
    inner join invoices
        on promises.invoice_id = invoices.invoice_id
    union all
    select
        promises.hold_id,
        balance_periods.invoice_id
    from promises
    inner join invoices
        on promises.customer_id = invoices.customer_id
    inner join balance_periods
        on
            invoices.invoice_id = balance_periods.invoice_id
            and promises.opened_date - 1 between balance_periods.valid_from and balance_periods.valid_to
    where promises.invoice_id is null
),

covered_outcomes as (
    select
        promises.hold_id,
        count(covered_invoices.invoice_id) as covered_invoices,
        count(
            case when settlement.settled_date <= promises.promised_date + {{ grace_days }} then 1 end
        ) as settled_invoices,
        max(settlement.settled_date) as last_settled_date,
        sum(coalesce(balance_periods.open_amount_mxn, 0)) as promised_amount_mxn
    from promises
    left join covered_invoices
        on promises.hold_id = covered_invoices.hold_id
    left join settlement
        on covered_invoices.invoice_id = settlement.invoice_id
    left join balance_periods
        on
            covered_invoices.invoice_id = balance_periods.invoice_id
            and promises.opened_date - 1 between balance_periods.valid_from and balance_periods.valid_to
    group by promises.hold_id
),

resolved as (
    select
        promises.*,
        promises.promised_date + {{ grace_days }} as deadline_date,
        covered_outcomes.covered_invoices,
        covered_outcomes.settled_invoices,
        covered_outcomes.last_settled_date,
        covered_outcomes.promised_amount_mxn,
        case
            when covered_outcomes.settled_invoices = covered_outcomes.covered_invoices then 'kept'
            when {{ as_of_date() }} > promises.promised_date + {{ grace_days }} then 'broken'
            else 'pending'
        end as promise_status
    from promises
    inner join covered_outcomes
        on promises.hold_id = covered_outcomes.hold_id
),

final as (
    select
        hold_id,
        customer_id,
        invoice_id,
        reply_id,
        reply_channel,
        reply_outbox_id,
        opened_at,
        opened_date,
        released_at,
        promised_date,
        deadline_date,
        cast(covered_invoices as integer) as covered_invoices,
        cast(settled_invoices as integer) as settled_invoices,
        {{ money('promised_amount_mxn') }} as promised_amount_mxn,
        'MXN' as currency,
        promise_status,
        case
            when promise_status = 'kept' then greatest(coalesce(last_settled_date, opened_date), opened_date)
            when promise_status = 'broken' then deadline_date + 1
        end as resolved_date
    from resolved
)

select * from final
