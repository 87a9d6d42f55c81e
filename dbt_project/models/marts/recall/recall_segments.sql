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
    - expected profit (rule-based ranking): uplift learned from past randomized waves of the same
      layer and churn type, else of the same layer, x value if recalled (pre-churn monthly GMV x
      (1 + effect_months)) x gross_margin - cost; the budget cut keeps the best profits whose
      cumulative cost fits recall_budget;
    - per-customer targeting (issue #16): when ml.recall_targeting has rows (the recall_targeting
      asset with a recall_uplift champion), only its selected candidates are sent, each with its
      most profitable variant (offer, channel, template, cost from recall_candidate_variants)
      and the model's expected uplift, lifetime value and profit; the asset already cut them at
      the budget. An empty ml.recall_targeting (no champion) keeps the rule-based ranking;
      targeting_method says which applied;
    - holdout arm: customers of each layer ordered by a hash of campaign and customer, the first
      round(layer size x holdout_share) in control (deterministic, stratified by layer);
    - the layer's minimum detectable effect (macros/recall_stats.sql) at the control conversion
      of its past waves, or prior_control_conversion before any, flagged under-powered above
      min_detectable_uplift.
    When campaign_id is a wave of the campaign plan (var recall_plan, CHURN_HOME/plan.yml), the
    plan decides instead: the wave's churn types only, minus the contact policy's exclusions
    (recall_contact_exclusions); a pilot keeps a hashed pilot_share of them; a rollout leaves
    out its pilot's customers and sends its pilot's winning variant (recall_wave_winners); each
    customer draws a treatment variant by the variants' shares (hash of campaign and customer),
    whose offer and channel (`preferred`: the layer channel rule) replace the layer's; the
    wave's budget and holdout share apply, and the holdout is drawn per layer x variant. -#}
{%- set ns = namespace(wave=none) -%}
{%- for w in var('recall_plan') or [] -%}
    {%- if w['campaign_id'] == var('campaign_id') -%}{%- set ns.wave = w -%}{%- endif -%}
{%- endfor -%}
{%- set wave = ns.wave -%}
{%- set budget = wave['budget'] if wave else var('recall_budget') -%}
{%- set holdout_share = wave['holdout_share'] if wave else var('holdout_share') -%}
with
-- depends_on: {{ ref('recall_plan_wave_types') }}
-- depends_on: {{ ref('recall_plan_variants') }}
-- depends_on: {{ ref('recall_contact_exclusions') }}
-- depends_on: {{ ref('recall_wave_winners') }}
-- depends_on: {{ ref('stg_recall_assignments') }}

all_candidates as (

    select * from {{ ref('recall_candidates') }}

),

targeting as (

    select * from {{ source('ml', 'recall_targeting') }}

),
{%- if wave %}

wave_types as (

    select * from {{ ref('recall_plan_wave_types') }}
    where campaign_id = {{ sql_text(wave['campaign_id']) }}

),

exclusions as (

    select * from {{ ref('recall_contact_exclusions') }}
    where campaign_id = {{ sql_text(wave['campaign_id']) }}

),

planned_variants as (

    select * from {{ ref('recall_plan_variants') }}
    where campaign_id = {{ sql_text(wave['campaign_id'] if not wave.get('rollout_of')
                                    else wave['rollout_of']) }}

),
{%- if wave.get('rollout_of') %}

pilot_customers as (

    select customer_id from {{ ref('stg_recall_assignments') }}
    where campaign_id = {{ sql_text(wave['rollout_of']) }}

),

pilot_winner as (

    select planned_variants.*
    from {{ ref('recall_wave_winners') }} as winners
    inner join planned_variants
        on winners.winner_variant = planned_variants.variant
    where winners.campaign_id = {{ sql_text(wave['rollout_of']) }}
        and winners.is_window_complete

),
{%- endif %}

candidates as (

    select
        all_candidates.*,
        cast(null as {{ dbt.type_string() }}) as targeted_variant,
        cast(null as {{ dbt.type_string() }}) as targeted_offer,
        cast(null as {{ dbt.type_string() }}) as targeted_offer_category,
        cast(null as {{ dbt.type_string() }}) as targeted_channel,
        cast(null as {{ dbt.type_string() }}) as targeted_template,
        cast(null as {{ type_double() }}) as targeted_uplift,
        cast(null as {{ type_double() }}) as targeted_value,
        cast(null as {{ type_double() }}) as targeted_cost,
        cast(null as {{ type_double() }}) as targeted_profit

    from all_candidates
    inner join wave_types
        on all_candidates.churn_type = wave_types.churn_type
    where all_candidates.customer_id not in (select customer_id from exclusions)
    {%- if wave.get('pilot_share') %}
        and {{ hash_fraction(dbt.concat([sql_text(wave['campaign_id'] ~ '|pilot|'),
                                         'all_candidates.customer_id'])) }}
            < {{ wave['pilot_share'] }}
    {%- endif %}
    {%- if wave.get('rollout_of') %}
        and all_candidates.customer_id not in (select customer_id from pilot_customers)
    {%- endif %}

),
{%- else %}

candidates as (

    select
        all_candidates.*,
        targeting.variant as targeted_variant,
        targeting.offer as targeted_offer,
        targeting.offer_category as targeted_offer_category,
        targeting.channel as targeted_channel,
        targeting.template as targeted_template,
        targeting.expected_uplift as targeted_uplift,
        targeting.expected_value as targeted_value,
        targeting.contact_cost as targeted_cost,
        targeting.expected_profit as targeted_profit

    from all_candidates
    left join targeting
        on all_candidates.customer_id = targeting.customer_id
        and targeting.is_selected
    where not exists (select 1 from targeting as any_targeting)
        or targeting.customer_id is not null

),
{%- endif %}

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
        {{ recall_layer('candidates.is_high_value', 'candidates.is_frequent_buyer') }} as layer

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
{%- if wave %}

    select
        waved.*,
        chosen.variant,
        chosen.template,
        chosen.offer,
        {{ variant_offer_category('chosen.offer', 'waved.top_category') }} as offer_category,
        {{ variant_channel('chosen.channel', 'waved.layer', 'waved.preferred_channel') }}
            as channel,
        cast(null as {{ dbt.type_string() }}) as companion_channel

    from waved
    {%- if wave.get('rollout_of') %}
    cross join pilot_winner as chosen
    {%- else %}
    inner join planned_variants as chosen
        on {{ hash_fraction(dbt.concat([sql_text(wave['campaign_id'] ~ '|variant|'),
                                        'waved.customer_id'])) }} >= chosen.share_from
        and {{ hash_fraction(dbt.concat([sql_text(wave['campaign_id'] ~ '|variant|'),
                                         'waved.customer_id'])) }} < chosen.share_to
    {%- endif %}
{%- else %}

    select
        waved.*,
        waved.targeted_variant as variant,
        coalesce(waved.targeted_template, 'default') as template,
        case
            when waved.targeted_variant is not null then waved.targeted_offer
            when layer_offers.is_offer_fixed or waved.wave_offer is null then layer_offers.offer
            else waved.wave_offer
        end as offer,
        case
            when waved.targeted_variant is not null then waved.targeted_offer_category
            when layer_offers.offer_names_category
                and (layer_offers.is_offer_fixed or waved.wave_offer is null)
                then waved.top_category
        end as offer_category,
        coalesce(waved.targeted_channel,
                 {{ recall_channel('waved.layer', 'waved.preferred_channel') }}) as channel,
        case
            when waved.targeted_variant is null
                then nullif(layer_offers.companion_channel, '')
        end as companion_channel

    from waved
    inner join layer_offers
        on waved.layer = layer_offers.layer
{%- endif %}

),

valued as (

    select
        offered.*,
        coalesce(offered.targeted_cost,
                 {{ channel_cost('offered.channel') }}
                 + {{ channel_cost('offered.companion_channel') }}) as cost_per_contact,
        coalesce(offered.targeted_uplift, past_uplift_by_type.prior_uplift,
                 past_uplift_by_layer.prior_uplift, 0) as expected_uplift,
        coalesce(offered.targeted_value,
                 coalesce(offered.pre_churn_monthly_gmv, 0) * (1 + {{ var('effect_months') }}))
            as expected_value

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
        coalesce(targeted_profit,
                 expected_uplift * expected_value * {{ var('gross_margin') }} - cost_per_contact)
            as expected_profit,
        {#- fixed-point: a cost column of doubles (the model's) must not lose an exact fit #}
        cast(sum(cost_per_contact) over (
            order by coalesce(targeted_profit,
                              expected_uplift * expected_value * {{ var('gross_margin') }}
                              - cost_per_contact) desc,
                     customer_id
            rows between unbounded preceding and current row
        ) as {{ dbt.type_numeric() }}) as cumulative_cost

    from valued

),

within_budget as (

    select
        *,
        '{{ var("campaign_id") }}' as campaign_id

    from ranked
    {#- the uplift model's selection already fits the budget (ml.targeting.choose_variants) #}
    where targeted_variant is not null
        or cumulative_cost <= {{ budget }}

),

hashed as (

    select
        *,
        {{ dbt.hash(dbt.concat(["campaign_id", "'|'", "customer_id"])) }} as arm_hash,
        count(*) over (partition by layer, variant) as arm_group_size

    from within_budget

),

armed as (

    select
        *,
        case
            when row_number() over (partition by layer, variant order by arm_hash, customer_id)
                <= round(arm_group_size * {{ holdout_share }})
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
        coalesce(armed.variant, {{ dbt.concat(['armed.offer', "'@'", 'armed.channel']) }})
            as variant,
        armed.template,
        {{ dbt.concat(['armed.layer', "'/'", 'armed.variant']) if wave else 'armed.layer' }}
            as holdout_stratum,
        {{ sql_text(wave['kind'] if wave else 'wave') }} as campaign_kind,
        {{ sql_text(wave.get('rollout_of') if wave else none) }} as parent_campaign_id,
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
        {%- if wave %}
        'campaign_plan' as targeting_method,
        {%- else %}
        case
            when armed.targeted_variant is not null then 'uplift_model'
            else 'rule_based'
        end as targeting_method,
        {%- endif %}
        armed.expected_uplift,
        armed.expected_value,
        armed.expected_profit,
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
