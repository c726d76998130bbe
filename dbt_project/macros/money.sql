{#- Money is numeric(18,2), never float; its currency travels in the next column. -#}
{% macro money(column_name) -%}
    cast({{ column_name }} as numeric(18, 2))
{%- endmacro %}
