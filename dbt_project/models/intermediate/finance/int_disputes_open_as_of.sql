with disputes as (
    select * from {{ ref('stg_books__disputes') }}
),

-- Open on as_of_date: opened by then and not resolved by then. A dispute marked resolved without
-- a resolution date counts as resolved.
open_disputes as (
    select *
    from disputes
    where
        opened_date <= {{ as_of_date() }}
        and (
            resolved_date > {{ as_of_date() }}
            or (resolved_date is null and coalesce(dispute_status, 'open') <> 'resolved')
        )
),

final as (
    select
        invoice_id,
        min(opened_date) as dispute_opened_date,
        count(*) as open_disputes
    from open_disputes
    group by invoice_id
)

select * from final
