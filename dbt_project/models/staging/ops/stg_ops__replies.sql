with inbound_replies as (
    select * from {{ source('ops', 'inbound_replies') }}
),

-- The reply's text and the sender's hash stay in ops (personal data).
final as (
    select
        reply_id,
        provider,
        channel,
        received_at,
        customer_id,
        outbox_id,
        classification as reply_class,
        route as reply_route,
        promise_date,
        event_id
    from inbound_replies
)

select * from final
