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

{#- Whether a row of effects (alias `arm` with design and arm) is an uplift estimate: the
    treatment arm of a randomized campaign; anything else is an observational difference. -#}
{% macro is_uplift_estimate(arm) -%}
    ({{ arm }}.design = 'randomized' and {{ arm }}.arm = 'treatment')
{%- endmacro %}

{#- Incremental GMV of an arm against the control arm of the same group: the difference in GMV
    per customer times the arm's customers (`arm` and `control` are relation aliases with
    gmv_per_customer and targeted_count). -#}
{% macro incremental_gmv(arm, control) -%}
    ({{ arm }}.gmv_per_customer - {{ control }}.gmv_per_customer) * {{ arm }}.targeted_count
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

{#- domain.md's recall rate as an aggregate: recalled customers (churned at assignment and
    converted in the first month) / targeted customers churned at assignment; null when no
    targeted customer was churned. Both arguments are 0/1 columns of int_recall_outcomes. -#}
{% macro recall_rate(is_recalled, is_churned_at_assignment) -%}
    (sum({{ is_recalled }}) * 1.0 / nullif(sum({{ is_churned_at_assignment }}), 0))
{%- endmacro %}

{#- The standard normal CDF Phi(x), from the error function by Abramowitz & Stegun 7.1.26
    (|error of erf| < 1.5e-7, so |error of Phi| < 7.5e-8): plain arithmetic, any database.
        erf(u) = 1 - (a1 t + a2 t^2 + a3 t^3 + a4 t^4 + a5 t^5) exp(-u^2),  t = 1 / (1 + p u),
        u = |x| / sqrt(2) >= 0,   Phi(x) = (1 + sign(x) erf(u)) / 2.
    tests/dbt/test_variant_effects.py keeps it within 1e-6 of statistics.NormalDist. -#}
{% macro normal_cdf(x) -%}
    (0.5 * (1 + sign({{ x }}) * (1 - {{ _normal_tail_polynomial(x) }})))
{%- endmacro %}

{#- Two-sided p-value of a z statistic, 2 (1 - Phi(|z|)) = erfc(|z| / sqrt(2)), taken straight
    from the A&S 7.1.26 polynomial (no 1 - Phi cancellation); null when z is null. -#}
{% macro two_sided_p_value(z) -%}
    case when {{ z }} is not null then least(1.0, {{ _normal_tail_polynomial(z) }}) end
{%- endmacro %}

{#- erfc(|x| / sqrt(2)) by A&S 7.1.26 (internal to normal_cdf and two_sided_p_value). -#}
{% macro _normal_tail_polynomial(x) -%}
    {%- set u = '(abs(' ~ x ~ ') / sqrt(2.0))' -%}
    {%- set t = '(1.0 / (1.0 + 0.3275911 * ' ~ u ~ '))' -%}
    (
        {{ t }} * (0.254829592 + {{ t }} * (-0.284496736 + {{ t }} * (1.421413741
            + {{ t }} * (-1.453152027 + {{ t }} * 1.061405429))))
        * exp(-1.0 * {{ u }} * {{ u }})
    )
{%- endmacro %}

{#- The z statistic of the pooled two-proportion test of x_t / n_t against x_c / n_c (the test
    of ml.experiment.uplift_interval's p_value): (p_t - p_c) / sqrt(pbar (1 - pbar)
    (1/n_t + 1/n_c)), pbar = (x_t + x_c) / (n_t + n_c); 0 when both arms are all 0 or all 1
    (no variance: the rates are equal), null with an empty arm. -#}
{% macro pooled_z(x_t, n_t, x_c, n_c) -%}
    {%- set pbar = '((' ~ x_t ~ ' + ' ~ x_c ~ ') * 1.0 / (' ~ n_t ~ ' + ' ~ n_c ~ '))' -%}
    case
        when {{ n_t }} > 0 and {{ n_c }} > 0 then
            coalesce(
                ({{ x_t }} * 1.0 / {{ n_t }} - {{ x_c }} * 1.0 / {{ n_c }})
                / nullif(sqrt({{ pbar }} * (1 - {{ pbar }}) * (1.0 / {{ n_t }} + 1.0 / {{ n_c }})), 0),
                0
            )
    end
{%- endmacro %}

{#- The effect metrics of recall outcomes grouped by `group_cols` plus arm, with treatment minus
    control uplift (randomized campaigns) or an observed difference (observational ones). -#}
{% macro first_month_effects(outcomes_relation, group_cols) %}
with

outcomes as (

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
        sum(is_next_day_visit) as next_day_visit_count,
        sum(is_churned_at_assignment) as churned_targeted_count,
        sum(is_recalled) as recalled_count,
        avg(is_activated * 1.0) as activation_rate,
        avg(is_converted * 1.0) as conversion_rate,
        avg(is_next_day_visit * 1.0) as next_day_visit_rate,
        {{ recall_rate('is_recalled', 'is_churned_at_assignment') }} as recall_rate,
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
        by_arm.*,
        by_arm.first_month_aov - by_arm.pre_churn_aov as aov_change,
        by_arm.conversion_rate - control.conversion_rate as observed_difference,
        case
            when {{ is_uplift_estimate('by_arm') }} then 'uplift'
            else 'observational_difference'
        end as estimate_type,
        case
            when {{ is_uplift_estimate('by_arm') }}
                then by_arm.conversion_rate - control.conversion_rate
        end as conversion_uplift,
        case
            when {{ is_uplift_estimate('by_arm') }}
                then {{ uplift_bound('by_arm.conversion_rate', 'by_arm.targeted_count',
                                     'control.conversion_rate', 'control.targeted_count', -1) }}
        end as conversion_uplift_lower,
        case
            when {{ is_uplift_estimate('by_arm') }}
                then {{ uplift_bound('by_arm.conversion_rate', 'by_arm.targeted_count',
                                     'control.conversion_rate', 'control.targeted_count', 1) }}
        end as conversion_uplift_upper,
        case
            when {{ is_uplift_estimate('by_arm') }}
                then by_arm.activation_rate - control.activation_rate
        end as activation_uplift,
        case
            when {{ is_uplift_estimate('by_arm') }}
                then by_arm.next_day_visit_rate - control.next_day_visit_rate
        end as next_day_visit_uplift,
        case
            when {{ is_uplift_estimate('by_arm') }}
                then by_arm.recall_rate - control.recall_rate
        end as recall_uplift,
        case
            when by_arm.arm = 'treatment' then {{ incremental_gmv('by_arm', 'control') }}
        end as incremental_gmv,
        case
            when by_arm.arm = 'treatment' and by_arm.cost > 0
                then ({{ incremental_gmv('by_arm', 'control') }} * {{ var('gross_margin') }}
                      - by_arm.cost) / by_arm.cost
        end as roi,
        control.targeted_count as control_count

    from by_arm
    left join control
        on {% for col in group_cols %}by_arm.{{ col }} = control.{{ col }}{% if not loop.last %}
        and {% endif %}{% endfor %}

)

select * from final
{% endmacro %}

{#- The minimum detectable effect of a wave: the smallest absolute conversion lift over the
    control rate base_rate that a two-sided test at alpha detects with probability power, for
    arms of n_treatment and n_control customers (increase only). Two-proportion z-test with the
    pooled variance under the null and the unpooled one under the alternative (Fleiss, without
    continuity correction):

        z_alpha * sqrt(pbar (1 - pbar) (1/n_t + 1/n_c))
            + z_power * sqrt(p_t q_t / n_t + p_c q_c / n_c) = p_t - p_c,
        p_c = base_rate,   pbar = (n_t p_t + n_c p_c) / (n_t + n_c).

    It has no closed-form solution for p_t - p_c, so it is solved by bisection on
    (0, 1 - base_rate), the steps of ml.experiment.minimum_detectable_effect (the one definition:
    tests/dbt/test_experiment_stats.py keeps SQL and Python equal). A query over
    `inputs_relation` (columns key_column, n_treatment, n_control, base_rate) returning
    key_column and minimum_detectable_effect; rows with an empty arm or a base_rate outside
    [0, 1) are left out, and the effect is null when even a lift to a rate of 1 is not
    detectable. Use it as the body of a CTE (it opens its own `with recursive`). -#}
{% macro minimum_detectable_effects(inputs_relation, key_column) %}
{%- set steps = 60 -%}
{%- set mid = '((bisection.low + bisection.high) / 2)' -%}
{%- set args = ('bisection.base_rate', 'bisection.n_treatment', 'bisection.n_control') -%}
with recursive

bisection as (

    select
        {{ key_column }},
        cast(n_treatment as {{ type_double() }}) as n_treatment,
        cast(n_control as {{ type_double() }}) as n_control,
        cast(base_rate as {{ type_double() }}) as base_rate,
        {{ detection_slack('(1.0 - cast(base_rate as ' ~ type_double() ~ ') - 1e-12)',
                           'cast(base_rate as ' ~ type_double() ~ ')',
                           'cast(n_treatment as ' ~ type_double() ~ ')',
                           'cast(n_control as ' ~ type_double() ~ ')') }} >= 0 as is_detectable,
        0 as step,
        cast(0 as {{ type_double() }}) as low,
        1.0 - cast(base_rate as {{ type_double() }}) - 1e-12 as high

    from {{ inputs_relation }}
    where n_treatment >= 1
        and n_control >= 1
        and base_rate >= 0
        and base_rate < 1

    union all

    select
        bisection.{{ key_column }},
        bisection.n_treatment,
        bisection.n_control,
        bisection.base_rate,
        bisection.is_detectable,
        bisection.step + 1 as step,
        case when {{ detection_slack(mid, *args) }} >= 0 then bisection.low else {{ mid }} end
            as low,
        case when {{ detection_slack(mid, *args) }} >= 0 then {{ mid }} else bisection.high end
            as high

    from bisection
    where bisection.step < {{ steps }}

),

final as (

    select
        {{ key_column }},
        case when is_detectable then high end as minimum_detectable_effect

    from bisection
    where step = {{ steps }}

)

select * from final
{% endmacro %}

{#- effect minus the gap a test needs to detect it (>= 0: detectable), for
    minimum_detectable_effects; the arithmetic of ml.experiment._required_gap. -#}
{% macro detection_slack(effect, base_rate, n_treatment, n_control) -%}
    {%- set p_t = '(' ~ base_rate ~ ' + ' ~ effect ~ ')' -%}
    {%- set pbar = '((' ~ n_treatment ~ ' * ' ~ p_t ~ ' + ' ~ n_control ~ ' * ' ~ base_rate ~ ')'
                   ~ ' / (' ~ n_treatment ~ ' + ' ~ n_control ~ '))' -%}
    ({{ effect }} - (
        {{ var('z_alpha') }} * sqrt({{ pbar }} * (1 - {{ pbar }})
                                    * (1 / {{ n_treatment }} + 1 / {{ n_control }}))
        + {{ var('z_power') }} * sqrt({{ p_t }} * (1 - {{ p_t }}) / {{ n_treatment }}
                                      + {{ base_rate }} * (1 - {{ base_rate }}) / {{ n_control }})
    ))
{%- endmacro %}
