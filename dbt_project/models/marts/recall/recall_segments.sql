{#- The recall wave for campaign var campaign_id: pyramid layer, wave, offer, channel, cost,
    expected gain (uplift learned from past randomized waves of the same layer and churn type,
    else of the same layer, x value - cost), the budget cut,
    and a holdout arm drawn by a deterministic hash of campaign and customer, stratified so each
    layer's control share equals holdout_share (rounded to a whole customer). -#}
with

candidates as (
    select * from {{ ref('recall_candidates') }}
),

past_effects as (
    select layer, sum(conversion_uplift * targeted_count) / nullif(sum(targeted_count), 0)
            as prior_uplift
    from {{ ref('recall_effect_by_layer') }}
    where estimate_type = 'uplift' and is_window_complete = 1
    group by layer
),

past_effects_by_type as (
    select layer, churn_type,
        sum(conversion_uplift * targeted_count) / nullif(sum(targeted_count), 0) as prior_uplift
    from {{ ref('recall_effect_first_month') }}
    where estimate_type = 'uplift' and is_window_complete = 1
    group by layer, churn_type
),

past_control as (
    select layer, sum(conversion_rate * targeted_count) / nullif(sum(targeted_count), 0)
            as baseline_conversion
    from {{ ref('recall_effect_by_layer') }}
    where arm = 'control' and is_window_complete = 1
    group by layer
),

layered as (
    select
        c.*,
        case
            when c.is_high_value then 'core'
            when c.is_frequent_buyer then 'advanced'
            else 'base'
        end as layer,
        case c.churn_type
            when 'silent' then 1
            when 'service_dissatisfied' then 2
            when 'competitor_attracted' then 3
            else 4
        end as wave_number
    from candidates as c
),

offered as (
    select
        l.*,
        case
            when l.layer = 'core' then 'custom_package'
            when l.churn_type = 'price_sensitive' then 'generic_coupon'
            when l.layer = 'advanced' then 'category_recommendation'
            else 'generic_coupon'
        end as offer,
        case when l.layer = 'advanced' and l.churn_type <> 'price_sensitive'
            then l.top_category end as offer_category,
        case
            when l.layer = 'core' then 'agent'
            when l.layer = 'advanced' then
                case when l.preferred_channel in ('app_push', 'messenger')
                    then l.preferred_channel else 'app_push' end
            else
                case when l.preferred_channel in ('email', 'sms', 'in_app')
                    then l.preferred_channel else 'email' end
        end as channel
    from layered as l
),

valued as (
    select
        o.*,
        {{ channel_cost('o.channel') }}
            + case when o.layer = 'core' then {{ var('cost_email') }} else 0 end
            as cost_per_contact,
        coalesce(pt.prior_uplift, p.prior_uplift, 0) as expected_uplift,
        coalesce(o.pre_churn_monthly_gmv, 0)
            * (1 + {{ var('effect_months') }}) * {{ var('gross_margin') }} as value_if_recalled
    from offered as o
    left join past_effects_by_type as pt on pt.layer = o.layer and pt.churn_type = o.churn_type
    left join past_effects as p on p.layer = o.layer
),

ranked as (
    select
        v.*,
        v.expected_uplift * v.value_if_recalled - v.cost_per_contact as expected_gain,
        sum(v.cost_per_contact) over (
            order by v.expected_uplift * v.value_if_recalled - v.cost_per_contact desc,
                v.customer_id
            rows between unbounded preceding and current row
        ) as cumulative_cost
    from valued as v
),

selected as (
    select
        r.*,
        r.cumulative_cost <= {{ var('recall_budget') }} as is_within_budget,
        '{{ var("campaign_id") }}' as campaign_id
    from ranked as r
),

hashed as (
    select
        s.*,
        {{ dbt.hash(dbt.concat(["s.campaign_id", "'|'", "s.customer_id"])) }} as arm_hash,
        count(*) over (partition by s.layer) as layer_size
    from selected as s
    where s.is_within_budget
),

armed as (
    select
        h.*,
        case when row_number() over (partition by h.layer order by h.arm_hash, h.customer_id)
                <= round(h.layer_size * {{ var('holdout_share') }})
            then 'control' else 'treatment' end as arm
    from hashed as h
),

powered as (
    select
        a.*,
        sum(case when a.arm = 'treatment' then 1 else 0 end) over (partition by a.layer)
            as layer_treatment_count,
        sum(case when a.arm = 'control' then 1 else 0 end) over (partition by a.layer)
            as layer_control_count,
        greatest(coalesce(c.baseline_conversion, 0.05), 0.02) as baseline_conversion
    from armed as a
    left join past_control as c on c.layer = a.layer
),

final as (
    select
        campaign_id,
        customer_id,
        layer,
        wave_number,
        churn_type,
        candidate_reason,
        lifecycle_stage,
        arm,
        arm = 'control' as is_do_not_contact,
        offer,
        offer_category,
        channel,
        cost_per_contact,
        reason_1,
        reason_2,
        reason_3,
        churn_cause,
        churn_probability,
        annual_gmv,
        pre_churn_monthly_gmv,
        expected_uplift,
        expected_gain,
        layer_treatment_count,
        layer_control_count,
        ({{ var('z_alpha') }} + {{ var('z_power') }})
            * sqrt(baseline_conversion * (1 - baseline_conversion)
                   * (1.0 / nullif(layer_treatment_count, 0)
                      + 1.0 / nullif(layer_control_count, 0)))
            as layer_minimum_detectable_effect
    from powered
)

select
    *,
    coalesce(layer_minimum_detectable_effect > {{ var('min_detectable_uplift') }}, true)
        as is_layer_underpowered
from final
