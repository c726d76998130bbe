with invoices as (
    select * from {{ ref('fct_invoices') }}
),

open_invoices as (
    select
        *,
        {{ as_of_date() }} - due_date as days_past_due
    from invoices
    where open_amount > 0
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        invoice_id,
        invoice_number,
        cfdi_uuid,
        customer_id,
        issue_date,
        due_date,
        currency,
        open_amount,
        open_amount_mxn,
        days_past_due,
        case
            when days_past_due <= 0 then 'current'
            when days_past_due <= 30 then '1-30'
            when days_past_due <= 60 then '31-60'
            when days_past_due <= 90 then '61-90'
            else '91+'
        end as aging_bucket,
        is_disputed
    from open_invoices
)

select * from final
