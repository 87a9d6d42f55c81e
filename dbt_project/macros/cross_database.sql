{#-
  Portable date and number helpers. Everything that differs between DuckDB and PostgreSQL sits
  behind adapter.dispatch (default__ = PostgreSQL-compatible SQL, duckdb__ = DuckDB).
-#}

{#- A floating point type that is double precision on every adapter (dbt.type_float() is
    single precision on some). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}

{% macro duckdb__type_double() -%}double{%- endmacro %}


{#- Money: exact decimal in cents, so sums are exact and equal totals tie the same way on every
    run (double sums differ in the last bit with the order of addition). -#}
{% macro type_money() -%}decimal(18, 2){%- endmacro %}


{#- Set-returning select-list expression: one timestamp per step from start to end inclusive. -#}
{% macro timestamp_series(start_expr, end_expr, step_interval='1 month') -%}
    {{ return(adapter.dispatch('timestamp_series')(start_expr, end_expr, step_interval)) }}
{%- endmacro %}

{% macro default__timestamp_series(start_expr, end_expr, step_interval) -%}
    generate_series(
        cast({{ start_expr }} as {{ dbt.type_timestamp() }}),
        cast({{ end_expr }} as {{ dbt.type_timestamp() }}),
        interval '{{ step_interval }}'
    )
{%- endmacro %}

{% macro duckdb__timestamp_series(start_expr, end_expr, step_interval) -%}
    unnest(generate_series(
        cast({{ start_expr }} as {{ dbt.type_timestamp() }}),
        cast({{ end_expr }} as {{ dbt.type_timestamp() }}),
        interval '{{ step_interval }}'
    ))
{%- endmacro %}


{#- Whole calendar days from start to end (dates or timestamps; time of day ignored). -#}
{% macro days_between(start_expr, end_expr) -%}
    {{ dbt.datediff('cast(' ~ start_expr ~ ' as date)', 'cast(' ~ end_expr ~ ' as date)', 'day') }}
{%- endmacro %}


{#- A date shifted by a number of days / months; always a date. -#}
{% macro add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, 'cast(' ~ date_expr ~ ' as date)') }} as date)
{%- endmacro %}

{% macro add_months(date_expr, months) -%}
    cast({{ dbt.dateadd('month', months, 'cast(' ~ date_expr ~ ' as date)') }} as date)
{%- endmacro %}


{#- First day of the month of a date or timestamp, as a date. -#}
{% macro month_start(date_expr) -%}
    cast({{ dbt.date_trunc('month', 'cast(' ~ date_expr ~ ' as date)') }} as date)
{%- endmacro %}


{#- Months since year 0 (year * 12 + month - 1): a calendar-anchored month counter. -#}
{% macro month_number(date_expr) -%}
    cast(extract(year from {{ date_expr }}) * 12 + extract(month from {{ date_expr }}) - 1 as {{ dbt.type_int() }})
{%- endmacro %}


{#- Division that returns null instead of failing or truncating when the denominator is 0. -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_double() }}) / nullif(cast({{ denominator }} as {{ type_double() }}), 0))
{%- endmacro %}


{#- A number in [0, 1) from the first 32 bits of the md5 of a text expression: a fixed,
    reproducible random draw per value (customer x campaign x purpose). -#}
{% macro hash_fraction(text_expr) -%}
    {{ return(adapter.dispatch('hash_fraction')(text_expr)) }}
{%- endmacro %}

{% macro default__hash_fraction(text_expr) -%}
    (('x' || lpad(substr(md5({{ text_expr }}), 1, 8), 16, '0'))::bit(64)::bigint / 4294967296.0)
{%- endmacro %}

{% macro duckdb__hash_fraction(text_expr) -%}
    (cast(('0x' || substr(md5({{ text_expr }}), 1, 8)) as bigint) / 4294967296.0)
{%- endmacro %}
