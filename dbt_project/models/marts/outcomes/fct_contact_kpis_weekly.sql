with message_outcomes as (
    select * from {{ ref('fct_message_outcomes') }}
),

attributed_payments as (
    select * from {{ ref('int_payments_attributed_to_messages') }}
),

resolved_promises as (
    select * from {{ ref('int_promises_resolved') }}
),

messages_by_week as (
    select
        *,
        cast(date_trunc('week', cast(sent_date as timestamp)) as date) as week_start
    from message_outcomes
),

message_counts as (
    select
        week_start,
        channel,
        count(*) as messages_sent,
        count(*) filter (where is_delivered) as messages_delivered,
        count(*) filter (where is_bounced) as messages_bounced,
        count(*) filter (where is_opened) as messages_opened,
        count(*) filter (where is_replied) as messages_replied,
        count(*) filter (where is_opted_out_after) as messages_opted_out,
        sum(last_touch_paid_mxn) as paid_after_contact_mxn,
        sum(promises_made) as promises_made
    from messages_by_week
    group by week_start, channel
),

-- Each allocation counts once, for its last touch: summed over weeks and channels, the payments
-- after contact add up without double counting a payment that several messages preceded.
last_touch_payments as (
    select
        cast(date_trunc('week', cast(sent_date as timestamp)) as date) as week_start,
        channel,
        count(distinct payment_id) as payments_after_contact
    from attributed_payments
    where is_last_touch
    group by cast(date_trunc('week', cast(sent_date as timestamp)) as date), channel
),

promises as (
    select
        cast(date_trunc('week', cast(message_outcomes.sent_date as timestamp)) as date) as week_start,
        message_outcomes.channel,
        count(*) filter (where resolved.promise_status = 'kept') as promises_kept,
        count(*) filter (where resolved.promise_status = 'broken') as promises_broken
    from resolved_promises as resolved
    inner join message_outcomes
        on resolved.reply_outbox_id = message_outcomes.outbox_id
    group by cast(date_trunc('week', cast(message_outcomes.sent_date as timestamp)) as date), message_outcomes.channel
),

final as (
    select
        message_counts.week_start,
        message_counts.channel,
        cast(message_counts.messages_sent as integer) as messages_sent,
        cast(message_counts.messages_delivered as integer) as messages_delivered,
        cast(message_counts.messages_bounced as integer) as messages_bounced,
        cast(message_counts.messages_replied as integer) as messages_replied,
        cast(message_counts.messages_opted_out as integer) as messages_opted_out,
        cast(cast(message_counts.messages_delivered as numeric) / message_counts.messages_sent as numeric(7, 4))
            as delivery_rate,
        cast(cast(message_counts.messages_bounced as numeric) / message_counts.messages_sent as numeric(7, 4))
            as bounce_rate,
        case
            when message_counts.channel = 'email'
                then cast(
                    cast(message_counts.messages_opened as numeric) / nullif(message_counts.messages_delivered, 0)
                    as numeric(7, 4)
                )
        end as open_rate,
        cast(cast(message_counts.messages_replied as numeric) / message_counts.messages_sent as numeric(7, 4))
            as reply_rate,
        cast(cast(message_counts.messages_opted_out as numeric) / message_counts.messages_sent as numeric(7, 4))
            as opt_out_rate,
        cast(coalesce(last_touch_payments.payments_after_contact, 0) as integer) as payments_after_contact,
        'MXN' as currency,
        {{ money('message_counts.paid_after_contact_mxn') }} as paid_after_contact_mxn,
        cast(message_counts.promises_made as integer) as promises_made,
        cast(coalesce(promises.promises_kept, 0) as integer) as promises_kept,
        cast(coalesce(promises.promises_broken, 0) as integer) as promises_broken,
        cast(
            cast(promises.promises_kept as numeric) / nullif(promises.promises_kept + promises.promises_broken, 0)
            as numeric(7, 4)
        ) as promise_kept_rate
    from message_counts
    left join last_touch_payments
        on
            message_counts.week_start = last_touch_payments.week_start
            and message_counts.channel = last_touch_payments.channel
    left join promises
        on
            message_counts.week_start = promises.week_start
            and message_counts.channel = promises.channel
)

select * from final
