{#- Refresh planner statistics on the raw tables before building: ingest has just appended to
    them and autovacuum may not have analysed them yet. Without row counts Postgres plans the
    deduplicating staging views at a few rows and picks nested loops that take minutes on a
    realistic book. ANALYZE is cheap (it samples) and, on a table the dbt user does not own, only
    warns. -#}
{% macro analyze_raw_sources() %}
    {%- if execute -%}
        {%- set relations = [] -%}
        {%- for source_node in graph.sources.values() if source_node.schema == 'raw' -%}
            {%- do relations.append(source(source_node.source_name, source_node.name)) -%}
        {%- endfor -%}
        {%- if relations -%}
            {%- do run_query('analyze ' ~ (relations | join(', '))) -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
