with invoice_scores as (
    select * from {{ source('ml', 'invoice_scores') }}
),

final as (
    select
        score_date,
        invoice_id,
        customer_id,
        model_id,
        p_late,
        expected_payment_date
    from invoice_scores
)

select * from final
