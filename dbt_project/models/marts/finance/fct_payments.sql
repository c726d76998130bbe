with payments as (
    select * from {{ ref('stg_books__payments') }}
),

fx_rates_daily as (
    select * from {{ ref('int_fx_rates_daily') }}
),

received_payments as (
    select *
    from payments
    where
        payment_status = 'posted'
        and payment_date <= {{ as_of_date() }}
),

final as (
    select
        received_payments.payment_id,
        received_payments.customer_id,
        received_payments.payment_date,
        received_payments.currency,
        received_payments.amount,
        {{ money('received_payments.amount * fx_rates_daily.rate_to_mxn') }} as amount_mxn
    from received_payments
    left join fx_rates_daily
        on
            received_payments.currency = fx_rates_daily.currency
            and received_payments.payment_date = fx_rates_daily.rate_date
)

select * from final
