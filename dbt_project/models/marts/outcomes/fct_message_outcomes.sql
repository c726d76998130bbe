{%- set window_days = var('attribution_window_days') | int -%}
{%- set opt_out_days = var('opt_out_window_days') | int -%}

with messages as (
    select * from {{ ref('stg_ops__messages') }}
),

message_invoices as (
    select * from {{ ref('int_messages_naming_invoices') }}
),

attributed_payments as (
    select * from {{ ref('int_payments_attributed_to_messages') }}
),

message_events as (
    select * from {{ ref('stg_ops__message_events') }}
),

replies as (
    select * from {{ ref('stg_ops__replies') }}
),

opt_outs as (
    select * from {{ ref('stg_ops__opt_outs') }}
),

promises as (
    select * from {{ ref('int_promises_resolved') }}
),

named_amounts as (
    select
        outbox_id,
        min(sent_date) as sent_date,
        count(*) as invoice_count,
        sum(named_open_amount_mxn) as named_open_amount_mxn
    from message_invoices
    group by outbox_id
),

paid_after as (
    select
        outbox_id,
        count(distinct payment_id) as payments_in_window,
        sum(amount_mxn) as paid_in_window_mxn,
        sum(last_touch_amount_mxn) as last_touch_paid_mxn,
        min(days_from_message) as days_to_first_payment
    from attributed_payments
    group by outbox_id
),

complaints as (
    select
        outbox_id,
        bool_or(event_type = 'spamreport') as is_spam_reported,
        bool_or(event_type = 'unsubscribed') as is_unsubscribed
    from message_events
    where outbox_id is not null
    group by outbox_id
),

-- The first reply to the message decides its class.
first_replies as (
    select distinct on (outbox_id)
        outbox_id,
        received_at as first_replied_at,
        reply_class
    from replies
    where outbox_id is not null
    order by outbox_id, received_at, reply_id
),

-- An opt-out from the message's channel (or from all) in the days after it.
opted_out as (
    select distinct messages.outbox_id
    from messages
    inner join opt_outs
        on
            messages.customer_id = opt_outs.customer_id
            and opt_outs.opted_out_channel in (messages.channel, 'all')
            and messages.sent_at <= opt_outs.opted_out_at
            and opt_outs.opted_out_at < messages.sent_at + interval '{{ opt_out_days }} days'
),

-- Promises made in reply to the message: broken if any is, else pending if any is, else kept.
promise_outcomes as (
    select
        reply_outbox_id as outbox_id,
        count(*) as promises_made,
        case
            when bool_or(promise_status = 'broken') then 'broken'
            when bool_or(promise_status = 'pending') then 'pending'
            else 'kept'
        end as promise_status
    from promises
    where reply_outbox_id is not null
    group by reply_outbox_id
),

final as (
    select
        messages.outbox_id,
        messages.customer_id,
        messages.channel,
        messages.step,
        messages.tone,
        messages.template,
        messages.sent_at,
        named_amounts.sent_date,
        cast(named_amounts.invoice_count as integer) as invoice_count,
        named_amounts.sent_date + {{ window_days }} <= {{ as_of_date() }} as is_window_complete,
        'MXN' as currency,
        {{ money('named_amounts.named_open_amount_mxn') }} as named_open_amount_mxn,
        {{ money('coalesce(paid_after.paid_in_window_mxn, 0)') }} as paid_in_window_mxn,
        cast(
            least(coalesce(paid_after.paid_in_window_mxn, 0) / nullif(named_amounts.named_open_amount_mxn, 0), 1)
            as numeric(7, 4)
        ) as paid_share_of_named,
        {{ money('coalesce(paid_after.last_touch_paid_mxn, 0)') }} as last_touch_paid_mxn,
        cast(coalesce(paid_after.payments_in_window, 0) as integer) as payments_in_window,
        cast(paid_after.days_to_first_payment as integer) as days_to_first_payment,
        (
            messages.delivered_at is not null
            or messages.opened_at is not null
            or messages.clicked_at is not null
        ) as is_delivered,
        messages.bounced_at is not null as is_bounced,
        messages.opened_at is not null as is_opened,
        messages.clicked_at is not null as is_clicked,
        coalesce(complaints.is_spam_reported, false) as is_spam_reported,
        first_replies.outbox_id is not null as is_replied,
        first_replies.first_replied_at,
        first_replies.reply_class,
        opted_out.outbox_id is not null as is_opted_out_after,
        cast(coalesce(promise_outcomes.promises_made, 0) as integer) as promises_made,
        promise_outcomes.promise_status
    from messages
    inner join named_amounts
        on messages.outbox_id = named_amounts.outbox_id
    left join paid_after
        on messages.outbox_id = paid_after.outbox_id
    left join complaints
        on messages.outbox_id = complaints.outbox_id
    left join first_replies
        on messages.outbox_id = first_replies.outbox_id
    left join opted_out
        on messages.outbox_id = opted_out.outbox_id
    left join promise_outcomes
        on messages.outbox_id = promise_outcomes.outbox_id
)

select * from final
