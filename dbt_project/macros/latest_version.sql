{#- raw is append-only: a source row updated later lands again. Keep the latest version of each
    natural key (newest updated_at, then newest load). Used by every staging model.
    `distinct on` rather than `row_number() ... = 1`: Postgres estimates a rank filter at a handful
    of rows, which sends the plans of everything downstream of these views into nested loops that
    re-sort the raw table per row (minutes on 20k invoices). -#}
{% macro latest_version(relation, key_columns) -%}
    select distinct on ({{ key_columns | join(', ') }}) *
    from {{ relation }}
    order by {{ key_columns | join(', ') }}, updated_at desc nulls last, loaded_at desc, load_id desc
{%- endmacro %}
