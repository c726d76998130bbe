{%- set window_days = var('attribution_window_days') | int -%}

with allocations as (
    select * from {{ ref('int_payment_allocations_as_of') }}
),

payments as (
    select * from {{ ref('stg_books__payments') }}
),

invoices as (
    select * from {{ ref('int_invoices_posted_as_of') }}
),

message_invoices as (
    select * from {{ ref('int_messages_naming_invoices') }}
),

-- A message touches a payment when it named the invoice the payment was applied to and was sent
-- on the payment date or up to `attribution_window_days` before it. Payment dates carry no time,
-- so a payment dated the day of the message counts (the day's books cannot order them).
touches as (
    select
        allocations.allocation_id,
        allocations.payment_id,
        allocations.invoice_id,
        payments.payment_date,
        allocations.amount,
        allocations.currency,
        allocations.amount * invoices.fx_rate_to_mxn as amount_mxn,
        message_invoices.outbox_id,
        message_invoices.channel,
        message_invoices.sent_at,
        message_invoices.sent_date,
        payments.payment_date - message_invoices.sent_date as days_from_message
    from allocations
    inner join payments
        on allocations.payment_id = payments.payment_id
    inner join invoices
        on allocations.invoice_id = invoices.invoice_id
    inner join message_invoices
        on
            allocations.invoice_id = message_invoices.invoice_id
            and payments.payment_date >= message_invoices.sent_date
            and payments.payment_date <= message_invoices.sent_date + {{ window_days }}
),

ranked as (
    select
        *,
        count(*) over allocation_touches as touch_count,
        row_number() over (partition by allocation_id order by sent_at, outbox_id) as touch_number
    from touches
    window allocation_touches as (partition by allocation_id)
),

final as (
    select
        allocation_id,
        outbox_id,
        payment_id,
        invoice_id,
        payment_date,
        channel,
        sent_at,
        sent_date,
        days_from_message,
        cast(touch_count as integer) as touch_count,
        cast(touch_number as integer) as touch_number,
        touch_number = 1 as is_first_touch,
        touch_number = touch_count as is_last_touch,
        currency,
        {{ money('amount') }} as amount,
        {{ money('amount_mxn') }} as amount_mxn,
        {{ money('case when touch_number = touch_count then amount_mxn else 0 end') }} as last_touch_amount_mxn
    from ranked
)

select * from final
