{#- The campaign plan's trigger campaigns (sources/plan.py) reach dbt as var recall_triggers: a
    list of Trigger.as_dbt_var() dicts (campaign_id, event, days, factor, holdout_share, variant
    {name, offer, channel, template}). trigger_rows() turns them into one row per trigger; the
    trigger models (models/marts/recall/triggers) and the contact policy read them. -#}

{% macro trigger_rows() -%}
    {%- set triggers = var('recall_triggers') or [] -%}
    {%- if triggers | length == 0 %}
    select
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as event,
        cast(null as {{ dbt.type_int() }}) as days,
        cast(null as {{ type_double() }}) as factor,
        cast(null as {{ type_double() }}) as holdout_share,
        cast(null as {{ dbt.type_string() }}) as variant,
        cast(null as {{ dbt.type_string() }}) as offer,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as template
    where 1 = 0
    {%- else -%}
    {%- for t in triggers %}
    {%- set v = t['variant'] %}
    select
        {{ sql_text(t['campaign_id']) }} as campaign_id,
        {{ sql_text(t['event']) }} as event,
        cast({{ 'null' if t.get('days') is none else t['days'] }} as {{ dbt.type_int() }}) as days,
        {{ sql_number(t.get('factor')) }} as factor,
        {{ sql_number(t['holdout_share']) }} as holdout_share,
        {{ sql_text(v.get('name') or (v['offer'] ~ '_' ~ (v.get('channel') or 'preferred'))) }}
            as variant,
        {{ sql_text(v['offer']) }} as offer,
        {{ sql_text(v.get('channel') or 'preferred') }} as channel,
        {{ sql_text(v.get('template') or 'default') }} as template
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endif %}
{%- endmacro %}
