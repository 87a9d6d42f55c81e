{#- Wilson score interval bound of a proportion p observed on n (side: -1 lower, +1 upper). -#}
{% macro wilson_bound(p, n, side) -%}
    (
        (
            {{ p }} + {{ var('z_alpha') }} * {{ var('z_alpha') }} / (2.0 * {{ n }})
            {{ '-' if side < 0 else '+' }} {{ var('z_alpha') }} * sqrt(
                {{ p }} * (1 - {{ p }}) / {{ n }}
                + {{ var('z_alpha') }} * {{ var('z_alpha') }} / (4.0 * {{ n }} * {{ n }})
            )
        )
        / (1 + {{ var('z_alpha') }} * {{ var('z_alpha') }} / {{ n }})
    )
{%- endmacro %}

{#- Newcombe's hybrid score interval (1998, method 10) for the difference of two proportions
    p_t - p_c: it keeps its coverage with small arms and rates near 0, where the Wald interval
    collapses. Matches ml.experiment.uplift_interval(method="newcombe"). -#}
{% macro uplift_bound(p_t, n_t, p_c, n_c, side) -%}
    case when {{ n_t }} > 0 and {{ n_c }} > 0 then
        {{ p_t }} - {{ p_c }}
        {% if side < 0 -%}
        - sqrt(({{ p_t }} - {{ wilson_bound(p_t, n_t, -1) }}) * ({{ p_t }} - {{ wilson_bound(p_t, n_t, -1) }})
               + ({{ wilson_bound(p_c, n_c, 1) }} - {{ p_c }}) * ({{ wilson_bound(p_c, n_c, 1) }} - {{ p_c }}))
        {%- else -%}
        + sqrt(({{ wilson_bound(p_t, n_t, 1) }} - {{ p_t }}) * ({{ wilson_bound(p_t, n_t, 1) }} - {{ p_t }})
               + ({{ p_c }} - {{ wilson_bound(p_c, n_c, -1) }}) * ({{ p_c }} - {{ wilson_bound(p_c, n_c, -1) }}))
        {%- endif %}
    end
{%- endmacro %}

{#- Two-sided normal interval half-width for a difference of two means. -#}
{% macro mean_diff_halfwidth(sd_t, n_t, sd_c, n_c) -%}
    {{ var('z_alpha') }} * sqrt(
        coalesce({{ sd_t }}, 0) * coalesce({{ sd_t }}, 0) / nullif({{ n_t }}, 0)
        + coalesce({{ sd_c }}, 0) * coalesce({{ sd_c }}, 0) / nullif({{ n_c }}, 0)
    )
{%- endmacro %}

{#- Cost per contact of a channel, from the cost_<channel> vars. -#}
{% macro channel_cost(channel_column) -%}
    case {{ channel_column }}
    {%- for ch in ['email', 'sms', 'in_app', 'app_push', 'messenger', 'agent', 'phone'] %}
        when '{{ ch }}' then {{ var('cost_' ~ ch) }}
    {%- endfor %}
        else 0
    end
{%- endmacro %}

{#- The effect metrics of recall outcomes grouped by `group_cols` plus arm, with treatment minus
    control uplift (randomized campaigns) or an observed difference (observational ones). -#}
{% macro first_month_effects(outcomes_relation, group_cols) %}
with outcomes as (
    select * from {{ outcomes_relation }}
),

by_arm as (
    select
        {{ group_cols | join(', ') }},
        arm,
        max(design) as design,
        count(*) as targeted_count,
        sum(is_touched) as touched_count,
        sum(is_activated) as activated_count,
        sum(is_converted) as converted_count,
        sum(is_repurchased) as repurchased_count,
        avg(is_activated * 1.0) as activation_rate,
        avg(is_converted * 1.0) as conversion_rate,
        avg(is_converted * 1.0) as recall_rate,
        avg(is_repurchased * 1.0) as repurchase_rate,
        sum(first_month_gmv) as first_month_gmv,
        avg(first_month_gmv) as gmv_per_customer,
        stddev_samp(first_month_gmv) as gmv_per_customer_sd,
        sum(first_month_gmv) / nullif(sum(first_month_orders), 0) as first_month_aov,
        avg(pre_churn_aov) as pre_churn_aov,
        sum(contact_cost) as cost,
        min(is_window_complete) as is_window_complete
    from outcomes
    group by {{ group_cols | join(', ') }}, arm
),

control as (
    select * from by_arm where arm = 'control'
),

final as (
    select
        t.*,
        t.first_month_aov - t.pre_churn_aov as aov_change,
        t.conversion_rate - c.conversion_rate as observed_difference,
        case when t.design = 'randomized' and t.arm = 'treatment'
            then 'uplift' else 'observational_difference' end as estimate_type,
        case when t.design = 'randomized' and t.arm = 'treatment'
            then t.conversion_rate - c.conversion_rate end as conversion_uplift,
        case when t.design = 'randomized' and t.arm = 'treatment'
            then {{ uplift_bound('t.conversion_rate', 't.targeted_count',
                                 'c.conversion_rate', 'c.targeted_count', -1) }}
        end as conversion_uplift_lower,
        case when t.design = 'randomized' and t.arm = 'treatment'
            then {{ uplift_bound('t.conversion_rate', 't.targeted_count',
                                 'c.conversion_rate', 'c.targeted_count', 1) }}
        end as conversion_uplift_upper,
        case when t.design = 'randomized' and t.arm = 'treatment'
            then t.activation_rate - c.activation_rate end as activation_uplift,
        case when t.arm = 'treatment'
            then (t.gmv_per_customer - c.gmv_per_customer) * t.targeted_count
        end as incremental_gmv,
        case when t.arm = 'treatment' and t.cost > 0
            then ((t.gmv_per_customer - c.gmv_per_customer) * t.targeted_count
                  * {{ var('gross_margin') }} - t.cost) / t.cost
        end as roi,
        c.targeted_count as control_count
    from by_arm as t
    left join control as c
        on {% for col in group_cols %}t.{{ col }} = c.{{ col }}{% if not loop.last %} and {% endif %}{% endfor %}
)

select * from final
{% endmacro %}
