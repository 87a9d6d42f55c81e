{#- First-month effect of each treatment variant of a campaign (offer x channel x template),
    pooled over layers and churn types, against the campaign's pooled control (every control
    customer of the campaign, whatever variant it carries: every arm is randomized):
    - conversion, activation, next-day visit and recall rates with Newcombe uplift intervals
      (macros/recall_stats.sql uplift_bound, = ml.experiment.uplift_interval);
    - incremental GMV per targeted customer with a Welch normal interval, and ROI with the same
      interval mapped through ROI's linear function of it (the contact cost is known);
    - the conversion uplift's two-sided p-value (pooled two-proportion z test), Holm-adjusted
      over the campaign's variants, and the winner: the largest positive conversion uplift among
      the variants significant at alpha after Holm.
    Observational campaigns keep their rates but get no uplift, p-value or winner. -#}
with

outcomes as (

    select * from {{ ref('int_recall_outcomes') }}

),

variants as (

    select
        campaign_id,
        variant,
        case when count(distinct offer) = 1 then min(offer) else 'mixed' end as offer,
        case when count(distinct channel) = 1 then min(channel) else 'mixed' end as channel,
        case when count(distinct template) = 1 then min(template) else 'mixed' end as template,
        max(kind) as kind,
        max(design) as design,
        count(*) as targeted_count,
        sum(is_touched) as touched_count,
        sum(is_converted) as converted_count,
        sum(is_activated) as activated_count,
        sum(is_next_day_visit) as next_day_visit_count,
        sum(is_churned_at_assignment) as churned_targeted_count,
        sum(is_recalled) as recalled_count,
        avg(first_month_gmv) as gmv_per_customer,
        stddev_samp(first_month_gmv) as gmv_per_customer_sd,
        sum(contact_cost) as cost,
        min(is_window_complete) as is_window_complete

    from outcomes
    where arm = 'treatment'
    group by campaign_id, variant

),

pooled_control as (

    select
        campaign_id,
        count(*) as control_count,
        sum(is_converted) as control_converted_count,
        sum(is_activated) as control_activated_count,
        sum(is_next_day_visit) as control_next_day_visit_count,
        sum(is_churned_at_assignment) as control_churned_count,
        sum(is_recalled) as control_recalled_count,
        avg(first_month_gmv) as control_gmv_per_customer,
        stddev_samp(first_month_gmv) as control_gmv_per_customer_sd,
        min(is_window_complete) as control_is_window_complete

    from outcomes
    where arm = 'control'
    group by campaign_id

),

rates as (

    select
        variants.*,
        coalesce(pooled_control.control_count, 0) as control_count,
        coalesce(pooled_control.control_converted_count, 0) as control_converted_count,
        coalesce(pooled_control.control_activated_count, 0) as control_activated_count,
        coalesce(pooled_control.control_next_day_visit_count, 0) as control_next_day_visit_count,
        coalesce(pooled_control.control_churned_count, 0) as control_churned_count,
        coalesce(pooled_control.control_recalled_count, 0) as control_recalled_count,
        pooled_control.control_gmv_per_customer,
        pooled_control.control_gmv_per_customer_sd,
        {%- for metric in ['converted', 'activated', 'next_day_visit'] %}
        {%- set rate = {'converted': 'conversion_rate', 'activated': 'activation_rate',
                        'next_day_visit': 'next_day_visit_rate'}[metric] %}
        variants.{{ metric }}_count * 1.0 / variants.targeted_count as {{ rate }},
        pooled_control.control_{{ metric }}_count * 1.0
            / nullif(pooled_control.control_count, 0) as control_{{ rate }},
        {%- endfor %}
        variants.recalled_count * 1.0 / nullif(variants.churned_targeted_count, 0) as recall_rate,
        pooled_control.control_recalled_count * 1.0
            / nullif(pooled_control.control_churned_count, 0) as control_recall_rate,
        coalesce(pooled_control.control_is_window_complete, 1) * variants.is_window_complete
            as window_complete_flag,
        variants.design = 'randomized' and coalesce(pooled_control.control_count, 0) > 0
            as is_uplift_estimate

    from variants
    left join pooled_control
        on variants.campaign_id = pooled_control.campaign_id

),

uplifts as (

    select
        *,
        {#- (rate, treated n, control rate, control n) of each proportion; recall rates count
            only the customers churned at assignment. #}
        {%- set proportions = {
            'conversion': ('conversion_rate', 'targeted_count', 'control_conversion_rate', 'control_count'),
            'activation': ('activation_rate', 'targeted_count', 'control_activation_rate', 'control_count'),
            'next_day_visit': ('next_day_visit_rate', 'targeted_count', 'control_next_day_visit_rate', 'control_count'),
            'recall': ('recall_rate', 'churned_targeted_count', 'control_recall_rate', 'control_churned_count'),
        } %}
        {%- for name, (p_t, n_t, p_c, n_c) in proportions.items() %}
        case when is_uplift_estimate then {{ p_t }} - {{ p_c }} end as {{ name }}_uplift,
        case
            when is_uplift_estimate then {{ uplift_bound(p_t, n_t, p_c, n_c, -1) }}
        end as {{ name }}_uplift_lower,
        case
            when is_uplift_estimate then {{ uplift_bound(p_t, n_t, p_c, n_c, 1) }}
        end as {{ name }}_uplift_upper,
        {%- endfor %}
        case
            when is_uplift_estimate then gmv_per_customer - control_gmv_per_customer
        end as incremental_gmv_per_targeted,
        case
            when is_uplift_estimate
                then {{ mean_diff_halfwidth('gmv_per_customer_sd', 'targeted_count',
                                            'control_gmv_per_customer_sd', 'control_count') }}
        end as incremental_gmv_halfwidth,
        case
            when is_uplift_estimate
                then {{ pooled_z('converted_count', 'targeted_count',
                                 'control_converted_count', 'control_count') }}
        end as conversion_z

    from rates

),

tested as (

    select
        *,
        {{ two_sided_p_value('conversion_z') }} as conversion_p_value,
        count(conversion_z) over (partition by campaign_id) as tested_variant_count,
        row_number() over (
            partition by campaign_id
            order by case when conversion_z is null then 1 else 0 end, abs(conversion_z) desc,
                variant
        ) as p_value_rank

    from uplifts

),

holm as (

    {#- Holm's step-down adjustment over the m tested variants of a campaign, p-values in
        ascending order p(1) <= ... <= p(m): adjusted p(i) = min(1, max over j <= i of
        (m - j + 1) p(j)). -#}
    select
        *,
        case
            when conversion_p_value is not null then least(1.0, max(
                (tested_variant_count - p_value_rank + 1) * conversion_p_value
            ) over (
                partition by campaign_id
                order by p_value_rank
                rows between unbounded preceding and current row
            ))
        end as conversion_p_value_holm

    from tested

),

ranked as (

    select
        *,
        coalesce(conversion_p_value_holm < {{ var('alpha') }}, false) as is_significant,
        coalesce(conversion_p_value_holm < {{ var('alpha') }} and conversion_uplift > 0, false)
            as is_winner_candidate,
        row_number() over (
            partition by campaign_id
            order by
                case
                    when conversion_p_value_holm < {{ var('alpha') }} and conversion_uplift > 0
                        then 0
                    else 1
                end,
                conversion_uplift desc,
                conversion_uplift_lower desc,
                variant
        ) as uplift_rank,
        count(*) over (partition by campaign_id) as variant_count

    from holm

),

final as (

    select
        campaign_id,
        variant,
        offer,
        channel,
        template,
        kind,
        design,
        case when is_uplift_estimate then 'uplift' else 'observational_difference' end
            as estimate_type,
        variant_count,
        targeted_count,
        touched_count,
        control_count,
        churned_targeted_count,
        control_churned_count,
        converted_count,
        control_converted_count,
        activated_count,
        control_activated_count,
        next_day_visit_count,
        control_next_day_visit_count,
        recalled_count,
        control_recalled_count,
        conversion_rate,
        control_conversion_rate,
        conversion_uplift,
        conversion_uplift_lower,
        conversion_uplift_upper,
        activation_rate,
        control_activation_rate,
        activation_uplift,
        activation_uplift_lower,
        activation_uplift_upper,
        next_day_visit_rate,
        control_next_day_visit_rate,
        next_day_visit_uplift,
        next_day_visit_uplift_lower,
        next_day_visit_uplift_upper,
        recall_rate,
        control_recall_rate,
        recall_uplift,
        recall_uplift_lower,
        recall_uplift_upper,
        gmv_per_customer,
        control_gmv_per_customer,
        incremental_gmv_per_targeted,
        incremental_gmv_per_targeted - incremental_gmv_halfwidth
            as incremental_gmv_per_targeted_lower,
        incremental_gmv_per_targeted + incremental_gmv_halfwidth
            as incremental_gmv_per_targeted_upper,
        incremental_gmv_per_targeted * targeted_count as incremental_gmv,
        cost,
        {%- for suffix, sign in [('', ''), ('_lower', '- incremental_gmv_halfwidth'),
                                  ('_upper', '+ incremental_gmv_halfwidth')] %}
        case
            when cost > 0
                then ((incremental_gmv_per_targeted {{ sign }}) * targeted_count
                      * {{ var('gross_margin') }} - cost) / cost
        end as roi{{ suffix }},
        {%- endfor %}
        conversion_z,
        conversion_p_value,
        conversion_p_value_holm,
        is_significant,
        is_winner_candidate and uplift_rank = 1 as is_winner,
        window_complete_flag = 1 as is_window_complete

    from ranked

)

select * from final
