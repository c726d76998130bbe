with invoices as (
    select * from {{ ref('stg_books__invoices') }}
),

fx_rates_daily as (
    select * from {{ ref('int_fx_rates_daily') }}
),

posted_invoices as (
    select *
    from invoices
    where
        invoice_status = 'posted'
        and issue_date <= {{ as_of_date() }}
),

final as (
    select
        posted_invoices.invoice_id,
        posted_invoices.invoice_number,
        posted_invoices.cfdi_uuid,
        posted_invoices.customer_id,
        posted_invoices.issue_date,
        posted_invoices.due_date,
        posted_invoices.currency,
        posted_invoices.total_amount,
        fx_rates_daily.rate_to_mxn as fx_rate_to_mxn,
        {{ money('posted_invoices.total_amount * fx_rates_daily.rate_to_mxn') }} as total_amount_mxn
    from posted_invoices
    left join fx_rates_daily
        on
            posted_invoices.currency = fx_rates_daily.currency
            and posted_invoices.issue_date = fx_rates_daily.rate_date
)

select * from final
