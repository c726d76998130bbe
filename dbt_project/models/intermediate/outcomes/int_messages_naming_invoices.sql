with messages as (
    select * from {{ ref('stg_ops__messages') }}
),

invoices as (
    select * from {{ ref('int_invoices_posted_as_of') }}
),

balance_periods as (
    select * from {{ ref('int_invoice_open_balance_periods_as_of') }}
),

messages_as_of as (
    select
        *,
        cast(sent_at at time zone '{{ var("books_timezone") }}' as date) as sent_date
    from messages
),

message_invoices as (
    select
        messages_as_of.outbox_id,
        named.invoice_id,
        cast(named.invoice_position as integer) as invoice_position,
        messages_as_of.customer_id,
        messages_as_of.channel,
        messages_as_of.sent_at,
        messages_as_of.sent_date
    from messages_as_of
    cross join lateral unnest(messages_as_of.invoice_ids) with ordinality as named (invoice_id, invoice_position)
    where messages_as_of.sent_date <= {{ as_of_date() }}
),

-- What the message asked for: the invoice's open amount at the end of the day before it was sent
-- (a payment made later that day is an outcome, not a smaller ask). 0 when already settled.
final as (
    select
        message_invoices.outbox_id,
        message_invoices.invoice_id,
        message_invoices.invoice_position,
        message_invoices.customer_id,
        message_invoices.channel,
        message_invoices.sent_at,
        message_invoices.sent_date,
        invoices.currency,
        {{ money('coalesce(balance_periods.open_amount, 0)') }} as named_open_amount,
        {{ money('coalesce(balance_periods.open_amount_mxn, 0)') }} as named_open_amount_mxn
    from message_invoices
    left join invoices
        on message_invoices.invoice_id = invoices.invoice_id
    left join balance_periods
        on
            message_invoices.invoice_id = balance_periods.invoice_id
            and message_invoices.sent_date - 1 between balance_periods.valid_from and balance_periods.valid_to
)

select * from final
