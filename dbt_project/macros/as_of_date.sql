{#- The business date of this run as a SQL date literal: var `as_of_date` (YYYY-MM-DD), or today
    when it is not set. A malformed date fails at compile time rather than silently. -#}
{% macro as_of_date() -%}
    {%- set configured = var('as_of_date', none) -%}
    {%- if configured is none or configured == '' -%}
        {%- set as_of = modules.datetime.date.today() -%}
    {%- else -%}
        {%- set as_of = modules.datetime.date.fromisoformat(configured | string) -%}
    {%- endif -%}
    cast('{{ as_of.isoformat() }}' as date)
{%- endmacro %}
