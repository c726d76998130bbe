{#- The accounting identity of a receivable: open = total − paid − credited (floored at 0, so an
    over-payment leaves nothing open), within `tolerance`, and never negative. Applied to the
    model, naming its four money columns (all in the same currency). -#}
{% test open_amount_reconciles(model, total_column='total_amount', paid_column='paid_amount',
                               credited_column='credited_amount', open_column='open_amount',
                               tolerance=0.01) %}

with amounts as (
    select
        {{ total_column }} as total_amount,
        {{ paid_column }} as paid_amount,
        {{ credited_column }} as credited_amount,
        {{ open_column }} as open_amount
    from {{ model }}
),

final as (
    select *
    from amounts
    where
        open_amount is null
        or open_amount < 0
        or abs(open_amount - greatest(total_amount - paid_amount - credited_amount, 0)) > {{ tolerance }}
)

select * from final

{% endtest %}
