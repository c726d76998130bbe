with message_events as (
    select * from {{ source('ops', 'message_events') }}
),

-- The payload (provider fields, addresses hashed) is left in ops: nothing downstream reads it.
final as (
    select
        event_id,
        provider,
        provider_event_id,
        event_type,
        provider_event_type,
        channel,
        occurred_at,
        received_at,
        coalesce(occurred_at, received_at) as event_at,
        provider_message_id,
        outbox_id,
        customer_id
    from message_events
)

select * from final
