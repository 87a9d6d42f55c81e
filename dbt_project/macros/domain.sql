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


{#- ============================ Churn and value rules (domain.md) ============================
    Each rule below is the only place it is written; models call the macro. -#}

{#- A customer's last sign of life: the later of their last interaction (of the kind given: any,
    or visits only) and their sign-up, which is the first one; the sign-up when there is no
    interaction yet. -#}
{% macro last_sign_of_life(last_interaction_expr, signup_expr) -%}
    case
        when {{ last_interaction_expr }} is null or {{ last_interaction_expr }} < {{ signup_expr }}
            then {{ signup_expr }}
        else {{ last_interaction_expr }}
    end
{%- endmacro %}


{#- Confirmed churn (domain.md section 1): no interaction in the churn_days days before the
    moment `at_expr`, i.e. the last sign of life lies before at - churn_days days.
    `at_expr` is a timestamp, or a date meaning that day's start (a snapshot date, a month's
    first day: only what happened before it counts). The status at the end of a day D (the
    as-of day of customer_lifecycle, a month's last day) is the status at the start of D + 1,
    so with churn_days 30 a customer whose last sign of life was on D - 30 is churned at the
    end of D (30 whole days of silence: days_between(last, D) >= churn_days) and still active
    at the start of D (days_between(last, D) <= churn_days). A null last sign of life (none in
    the window looked at) is silent. -#}
{% macro is_churned_at(last_sign_of_life_expr, at_expr) -%}
    {%- set at_timestamp = 'cast(' ~ at_expr ~ ' as ' ~ dbt.type_timestamp() ~ ')' -%}
    coalesce(
        {{ last_sign_of_life_expr }} < {{ dbt.dateadd('day', -1 * var('churn_days'), at_timestamp) }},
        true
    )
{%- endmacro %}


{#- The trailing 12 months up to and including a day: day_expr in (as_of - 12 months, as_of],
    the window of annual GMV, repurchase frequency and interaction depth. -#}
{% macro in_trailing_12_months(day_expr, as_of_day_expr) -%}
    (
        {{ day_expr }} > {{ add_months(as_of_day_expr, -12) }}
        and {{ day_expr }} <= {{ as_of_day_expr }}
    )
{%- endmacro %}


{#- A customer's percentile (0 = lowest, 100 = highest, ties share the lower one) of a value
    among the rows of the window: percent_rank x 100, optionally per partition. -#}
{% macro value_percentile(value_expr, partition_by=none) -%}
    100.0 * percent_rank() over (
        {%- if partition_by is not none %}partition by {{ partition_by }} {% endif -%}
        order by {{ value_expr }}
    )
{%- endmacro %}


{#- The high-value double filter (domain.md section 3): annual GMV and repurchase frequency
    percentiles both at or above high_value_gmv_percentile / high_value_frequency_percentile.
    A customer without a percentile (no order) is not high value. -#}
{% macro is_high_value(gmv_percentile_expr, frequency_percentile_expr) -%}
    coalesce(
        {{ gmv_percentile_expr }} >= {{ var('high_value_gmv_percentile') }}
            and {{ frequency_percentile_expr }} >= {{ var('high_value_frequency_percentile') }},
        false
    )
{%- endmacro %}


{#- The operating layer (domain.md section 3), precedence silent_churned > new > core >
    potential: churned customers are silent_churned; customers signed up fewer than
    new_customer_days days before are new; high-value ones core; everyone else potential.
    Without is_churned_expr (a population already known to be active) the first branch is left
    out. -#}
{% macro operating_layer(tenure_days_expr, is_high_value_expr, is_churned_expr=none) -%}
    case
        {%- if is_churned_expr is not none %}
        when {{ is_churned_expr }} then 'silent_churned'
        {%- endif %}
        when {{ tenure_days_expr }} < {{ var('new_customer_days') }} then 'new'
        when {{ is_high_value_expr }} then 'core'
        else 'potential'
    end
{%- endmacro %}


{#- ================================== Recall playbook rules ==================================
    Offers and waves are the seeds recall_layer_offers and recall_wave_order. -#}

{#- The recall pyramid layer of a candidate: core (the high-value double filter) > advanced
    (frequent buyer) > base. -#}
{% macro recall_layer(is_high_value_expr, is_frequent_buyer_expr) -%}
    case
        when {{ is_high_value_expr }} then 'core'
        when {{ is_frequent_buyer_expr }} then 'advanced'
        else 'base'
    end
{%- endmacro %}

{#- The channel a recall layer contacts a customer through (sources.contract.LAYER_CHANNELS,
    passed as var layer_channels: each layer's channels, its default first): the preferred
    channel when it is one of the layer's, else the layer's default. The simulator's past waves
    apply the same rule (tests/dbt/test_channel_rule.py). -#}
{% macro recall_channel(layer_expr, preferred_channel_expr) -%}
    case
    {%- for layer, channels in var('layer_channels').items() %}
        when {{ layer_expr }} = '{{ layer }}' then
            case
                when {{ preferred_channel_expr }} in ('{{ channels | join("', '") }}')
                    then {{ preferred_channel_expr }}
                else '{{ channels[0] }}'
            end
    {%- endfor %}
    end
{%- endmacro %}
