{#- The column is never below zero (nulls are not_null's business). -#}
{% test non_negative(model, column_name) %}

with final as (
    select {{ column_name }} from {{ model }} where {{ column_name }} < 0
)

select * from final

{% endtest %}
