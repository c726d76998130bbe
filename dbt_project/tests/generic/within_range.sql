{#- The column lies in [min_value, max_value] (either bound optional; nulls pass). A missing bound
    compares with null, which is never true, so it rejects nothing. -#}
{% test within_range(model, column_name, min_value=none, max_value=none) %}

with final as (
    select {{ column_name }}
    from {{ model }}
    where
        {{ column_name }} < {{ 'null' if min_value is none else min_value }}
        or {{ column_name }} > {{ 'null' if max_value is none else max_value }}
)

select * from final

{% endtest %}
