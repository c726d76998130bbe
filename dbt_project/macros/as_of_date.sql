{#- The business date of this run as a SQL date literal, from var `as_of_date` (YYYY-MM-DD).
    Every run passes it (the warehouse DAG passes its run's business date; by hand:
    --vars '{as_of_date: "2026-11-24"}'), and it never falls back to the clock, so rebuilding a
    past day reproduces that day. Missing or malformed, it fails at compile time naming the var.
    Only parsing (no SQL runs, e.g. `dbt parse` for a manifest) goes without it. -#}
{% macro as_of_date() -%}
    {%- set configured = var('as_of_date', none) -%}
    {%- set text = '' if configured is none else (configured | string | trim) -%}
    {%- if text == '' and execute -%}
        {{- exceptions.raise_compiler_error(
            "var 'as_of_date' is not set: pass the business date to build for, e.g. "
            ~ "dbt build --vars '{as_of_date: \"2026-11-24\"}' (the warehouse DAG passes its run's date)"
        ) -}}
    {%- elif text != '' and not modules.re.fullmatch('[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])', text) -%}
        {{- exceptions.raise_compiler_error("var 'as_of_date' must be a date as YYYY-MM-DD, got '" ~ text ~ "'") -}}
    {%- endif -%}
    {%- set as_of = modules.datetime.date.fromisoformat(text).isoformat() if text else none -%}
    {{- "cast('" ~ as_of ~ "' as date)" if as_of else "cast(null as date)" -}}
{%- endmacro %}
