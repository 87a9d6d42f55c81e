{#- Domain encodings shared by several models, so a rule is written once. -#}

{#- Membership tier as an ordinal: basic 0, silver 1, gold 2, platinum 3 (null stays null). -#}
{% macro tier_rank(tier_expr) -%}
    case {{ tier_expr }}
        when 'basic' then 0
        when 'silver' then 1
        when 'gold' then 2
        when 'platinum' then 3
        else 0
    end
{%- endmacro %}


{#- A percentile-style score 1..5 from a percent_rank in [0, 1] (ties share a score). -#}
{% macro quintile_score(percent_rank_expr) -%}
    cast(least(5, 1 + floor(5 * {{ percent_rank_expr }})) as {{ dbt.type_int() }})
{%- endmacro %}


{#- The as-of day of the customer_lifecycle and customer_value marts: var as_of_date, or the
    data's last day (from int_data_bounds) when the var is null. -#}
{% macro as_of_date_expr(data_last_day_expr) -%}
    {%- set as_of = var('as_of_date') -%}
    {%- if as_of is none or as_of == '' or as_of == 'null' -%}
        cast({{ data_last_day_expr }} as date)
    {%- else -%}
        cast('{{ as_of }}' as date)
    {%- endif -%}
{%- endmacro %}
