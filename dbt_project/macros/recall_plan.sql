{#- The campaign plan (sources/plan.py) reaches dbt as var recall_plan: a list of waves, each a
    dict of Wave.as_dbt_var() (campaign_id, kind, churn_types, starts_on, ends_on, budget,
    holdout_share, pilot_share, rollout_of, variants), and var contact_policy (max_contacts,
    window_days, quiet_days, protect_controls). These macros turn them into rows. -#}

{% macro sql_text(value) -%}
    {%- if value is none -%}cast(null as {{ dbt.type_string() }})
    {%- else -%}'{{ value | string | replace("'", "''") }}'{%- endif -%}
{%- endmacro %}

{% macro sql_number(value) -%}
    {%- if value is none -%}cast(null as {{ type_double() }})
    {%- else -%}cast({{ value }} as {{ type_double() }}){%- endif -%}
{%- endmacro %}

{#- One row per planned wave. -#}
{% macro plan_wave_rows() -%}
    {%- set plan = var('recall_plan') or [] -%}
    {%- if plan | length == 0 %}
    select
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as kind,
        cast(null as {{ dbt.type_timestamp() }}) as starts_at,
        cast(null as {{ dbt.type_timestamp() }}) as ends_at,
        cast(null as {{ type_double() }}) as budget,
        cast(null as {{ type_double() }}) as holdout_share,
        cast(null as {{ type_double() }}) as pilot_share,
        cast(null as {{ dbt.type_string() }}) as rollout_of
    where 1 = 0
    {%- else -%}
    {%- for w in plan %}
    select
        {{ sql_text(w['campaign_id']) }} as campaign_id,
        {{ sql_text(w['kind']) }} as kind,
        cast({{ sql_text(w['starts_on']) }} as {{ dbt.type_timestamp() }}) as starts_at,
        cast({{ sql_text(w['ends_on']) }} as {{ dbt.type_timestamp() }}) as ends_at,
        {{ sql_number(w['budget']) }} as budget,
        {{ sql_number(w['holdout_share']) }} as holdout_share,
        {{ sql_number(w.get('pilot_share')) }} as pilot_share,
        {{ sql_text(w.get('rollout_of')) }} as rollout_of
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endif %}
{%- endmacro %}

{#- One row per planned wave x churn type it targets. -#}
{% macro plan_wave_type_rows() -%}
    {%- set rows = [] -%}
    {%- for w in var('recall_plan') or [] -%}
        {%- for t in w['churn_types'] -%}
            {%- do rows.append((w['campaign_id'], t)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if rows | length == 0 %}
    select
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as churn_type
    where 1 = 0
    {%- else -%}
    {%- for cid, t in rows %}
    select {{ sql_text(cid) }} as campaign_id, {{ sql_text(t) }} as churn_type
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endif %}
{%- endmacro %}

{#- One row per planned wave x treatment variant, with the variant's slice [share_from,
    share_to) of the unit interval its customers are drawn from. A rollout has no variants of
    its own: it takes its pilot's winner (recall_segments). -#}
{% macro plan_variant_rows() -%}
    {%- set rows = [] -%}
    {%- for w in var('recall_plan') or [] -%}
        {%- set ns = namespace(low=0.0) -%}
        {%- for v in w.get('variants') or [] -%}
            {%- do rows.append((w['campaign_id'], v, ns.low, ns.low + v['share'])) -%}
            {%- set ns.low = ns.low + v['share'] -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if rows | length == 0 %}
    select
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as variant,
        cast(null as {{ dbt.type_string() }}) as offer,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as template,
        cast(null as {{ type_double() }}) as share,
        cast(null as {{ type_double() }}) as share_from,
        cast(null as {{ type_double() }}) as share_to
    where 1 = 0
    {%- else -%}
    {%- for cid, v, low, high in rows %}
    select
        {{ sql_text(cid) }} as campaign_id,
        {{ sql_text(v['name']) }} as variant,
        {{ sql_text(v['offer']) }} as offer,
        {{ sql_text(v['channel']) }} as channel,
        {{ sql_text(v.get('template') or 'default') }} as template,
        {{ sql_number(v['share']) }} as share,
        {{ sql_number(low) }} as share_from,
        {{ sql_number(1.0 if loop.last or rows[loop.index][0] != cid else high) }} as share_to
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endif %}
{%- endmacro %}

{#- How a planned variant reaches a customer: its channel (`preferred` = the layer channel rule,
    macro recall_channel) and, for a category recommendation, the customer's top category. One
    rule for the plan's waves (recall_segments), trigger campaigns (recall_trigger_assignments)
    and the targeting's reach of every variant (recall_candidate_variants). -#}
{% macro variant_channel(channel_rule_expr, layer_expr, preferred_channel_expr) -%}
    case
        when {{ channel_rule_expr }} = 'preferred'
            then {{ recall_channel(layer_expr, preferred_channel_expr) }}
        else {{ channel_rule_expr }}
    end
{%- endmacro %}

{% macro variant_offer_category(offer_expr, top_category_expr) -%}
    case when {{ offer_expr }} = 'category_recommendation' then {{ top_category_expr }} end
{%- endmacro %}
