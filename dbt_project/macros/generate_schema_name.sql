{#- A folder's `+schema` is the schema itself (staging, intermediate, marts), not
    `<target schema>_<custom>`: every environment is its own database, so no prefix is needed. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
