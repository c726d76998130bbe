with outbox as (
    select * from {{ source('ops', 'outbox') }}
),

-- Only messages that left: 'unknown' and 'review' rows may have reached the provider but are
-- not confirmed, so they are not counted as contact.
final as (
    select
        outbox_id,
        idempotency_key,
        batch_id,
        as_of_date as batch_as_of_date,
        customer_id,
        invoice_ids,
        step,
        template,
        tone,
        channel,
        provider,
        provider_message_id,
        sent_at,
        delivery_status,
        delivered_at,
        opened_at,
        clicked_at,
        bounced_at
    from outbox
    where
        status = 'sent'
        and sent_at is not null
)

select * from final
