{#- The recall wave for campaign var campaign_id:
    - layer of the recall pyramid: core (high-value double filter) > advanced (frequent buyer)
      > base;
    - wave by churn type and offer by layer, from the seeds recall_wave_order and
      recall_layer_offers: a wave's own offer (the coupon of the price-sensitive wave) replaces
      the layer's offer unless the layer's is fixed (core's custom package); a layer's category
      offer names the customer's top category;
    - channel: the preferred channel when it is one of the layer's, else the layer's default
      (macros/domain.sql recall_channel, var layer_channels), plus the layer's companion channel
      from the seed (core: an email besides the agent), both paid at the cost_<channel>
      settings;
    - expected gain: uplift learned from past randomized waves of the same layer and churn type,
      else of the same layer, x value if recalled - cost; the budget cut keeps the best gains
      whose cumulative cost fits recall_budget;
    - holdout arm: customers of each layer ordered by a hash of campaign and customer, the first
      round(layer size x holdout_share) in control (deterministic, stratified by layer);
    - the layer's minimum detectable effect (macros/recall_stats.sql) at the control conversion
      of its past waves, or prior_control_conversion before any, flagged under-powered above
      min_detectable_uplift. -#}
with

candidates as (

    select * from {{ ref('recall_candidates') }}

),

effects_by_layer as (

    select * from {{ ref('recall_effect_by_layer') }}

),

effects_first_month as (

    select * from {{ ref('recall_effect_first_month') }}

),

layer_offers as (

    select * from {{ ref('recall_layer_offers') }}

),

wave_order as (

    select * from {{ ref('recall_wave_order') }}

),

past_uplift_by_layer as (

    select
        layer,
        sum(conversion_uplift * targeted_count) / nullif(sum(targeted_count), 0) as prior_uplift

    from effects_by_layer
    where estimate_type = 'uplift'
        and is_window_complete = 1
    group by layer

),

past_uplift_by_type as (

    select
        layer,
        churn_type,
        sum(conversion_uplift * targeted_count) / nullif(sum(targeted_count), 0) as prior_uplift

    from effects_first_month
    where estimate_type = 'uplift'
        and is_window_complete = 1
    group by layer, churn_type

),

past_control as (

    select
        layer,
        sum(conversion_rate * targeted_count) / nullif(sum(targeted_count), 0)
            as baseline_conversion

    from effects_by_layer
    where arm = 'control'
        and is_window_complete = 1
    group by layer

),

last_wave as (

    select max(wave_number) as wave_number from wave_order

),

layered as (

    select
        candidates.*,
        case
            when candidates.is_high_value then 'core'
            when candidates.is_frequent_buyer then 'advanced'
            else 'base'
        end as layer

    from candidates

),

waved as (

    select
        layered.*,
        coalesce(wave_order.wave_number, last_wave.wave_number + 1) as wave_number,
        {#- an empty CSV cell may arrive as '' rather than null (unit-test fixtures) #}
        nullif(wave_order.wave_offer, '') as wave_offer

    from layered
    cross join last_wave
    left join wave_order
        on layered.churn_type = wave_order.churn_type

),

offered as (

    select
        waved.*,
        case
            when layer_offers.is_offer_fixed or waved.wave_offer is null then layer_offers.offer
            else waved.wave_offer
        end as offer,
        case
            when layer_offers.offer_names_category
                and (layer_offers.is_offer_fixed or waved.wave_offer is null)
                then waved.top_category
        end as offer_category,
        {{ recall_channel('waved.layer', 'waved.preferred_channel') }} as channel,
        nullif(layer_offers.companion_channel, '') as companion_channel

    from waved
    inner join layer_offers
        on waved.layer = layer_offers.layer

),

valued as (

    select
        offered.*,
        {{ channel_cost('offered.channel') }} + {{ channel_cost('offered.companion_channel') }}
            as cost_per_contact,
        coalesce(past_uplift_by_type.prior_uplift, past_uplift_by_layer.prior_uplift, 0)
            as expected_uplift,
        coalesce(offered.pre_churn_monthly_gmv, 0)
            * (1 + {{ var('effect_months') }}) * {{ var('gross_margin') }} as value_if_recalled

    from offered
    left join past_uplift_by_type
        on offered.layer = past_uplift_by_type.layer
        and offered.churn_type = past_uplift_by_type.churn_type
    left join past_uplift_by_layer
        on offered.layer = past_uplift_by_layer.layer

),

ranked as (

    select
        *,
        expected_uplift * value_if_recalled - cost_per_contact as expected_gain,
        sum(cost_per_contact) over (
            order by expected_uplift * value_if_recalled - cost_per_contact desc, customer_id
            rows between unbounded preceding and current row
        ) as cumulative_cost

    from valued

),

within_budget as (

    select
        *,
        '{{ var("campaign_id") }}' as campaign_id

    from ranked
    where cumulative_cost <= {{ var('recall_budget') }}

),

hashed as (

    select
        *,
        {{ dbt.hash(dbt.concat(["campaign_id", "'|'", "customer_id"])) }} as arm_hash,
        count(*) over (partition by layer) as layer_size

    from within_budget

),

armed as (

    select
        *,
        case
            when row_number() over (partition by layer order by arm_hash, customer_id)
                <= round(layer_size * {{ var('holdout_share') }})
                then 'control'
            else 'treatment'
        end as arm

    from hashed

),

layer_arms as (

    select
        armed.layer,
        sum(case when armed.arm = 'treatment' then 1 else 0 end) as n_treatment,
        sum(case when armed.arm = 'control' then 1 else 0 end) as n_control,
        coalesce(max(past_control.baseline_conversion), {{ var('prior_control_conversion') }})
            as base_rate

    from armed
    left join past_control
        on armed.layer = past_control.layer
    group by armed.layer

),

layer_power as (

    {{ minimum_detectable_effects('layer_arms', 'layer') }}

),

final as (

    select
        armed.campaign_id,
        armed.customer_id,
        armed.layer,
        armed.wave_number,
        armed.churn_type,
        armed.candidate_reason,
        armed.lifecycle_stage,
        armed.arm,
        armed.arm = 'control' as is_do_not_contact,
        armed.offer,
        armed.offer_category,
        armed.channel,
        armed.cost_per_contact,
        armed.reason_1,
        armed.reason_2,
        armed.reason_3,
        armed.churn_cause,
        armed.churn_probability,
        armed.annual_gmv,
        armed.pre_churn_monthly_gmv,
        armed.expected_uplift,
        armed.expected_gain,
        layer_arms.n_treatment as layer_treatment_count,
        layer_arms.n_control as layer_control_count,
        layer_power.minimum_detectable_effect as layer_minimum_detectable_effect,
        coalesce(
            layer_power.minimum_detectable_effect > {{ var('min_detectable_uplift') }}, true
        ) as is_layer_underpowered

    from armed
    inner join layer_arms
        on armed.layer = layer_arms.layer
    left join layer_power
        on armed.layer = layer_power.layer

)

select * from final
