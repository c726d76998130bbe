{#- No two rows share the same values of `columns` (a compound key). -#}
{% test unique_combination(model, columns) %}

with keyed as (
    select {{ columns | join(', ') }}, count(*) as rows_with_key
    from {{ model }}
    group by {{ columns | join(', ') }}
),

final as (
    select * from keyed where rows_with_key > 1
)

select * from final

{% endtest %}
