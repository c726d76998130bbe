with holds as (
    select * from {{ source('ops', 'holds') }}
),

final as (
    select
        hold_id,
        customer_id,
        invoice_id,
        reason as hold_reason,
        opened_at,
        released_at,
        until as held_until,
        reply_id
    from holds
)

select * from final
