{#- Per planned wave x pyramid layer x churn type: the recall candidates the wave targets, how
    many the contact policy keeps out (by primary reason) and how many are eligible. The
    `churn-recall plan` command turns these counts into per-variant sample sizes. -#}
with

candidates as (

    select * from {{ ref('recall_candidates') }}

),

wave_types as (

    select * from {{ ref('recall_plan_wave_types') }}

),

exclusions as (

    select * from {{ ref('recall_contact_exclusions') }}
    where is_primary_reason

),

targeted as (

    select
        wave_types.campaign_id,
        candidates.customer_id,
        candidates.churn_type,
        {{ recall_layer('candidates.is_high_value', 'candidates.is_frequent_buyer') }} as layer,
        exclusions.reason as exclusion_reason

    from wave_types
    inner join candidates
        on wave_types.churn_type = candidates.churn_type
    left join exclusions
        on wave_types.campaign_id = exclusions.campaign_id
        and candidates.customer_id = exclusions.customer_id

),

final as (

    select
        campaign_id,
        layer,
        churn_type,
        count(*) as candidate_count,
        count(case when exclusion_reason = 'do_not_contact' then 1 end) as do_not_contact_count,
        count(case when exclusion_reason = 'protected_control' then 1 end)
            as protected_control_count,
        count(case when exclusion_reason = 'quiet_period' then 1 end) as quiet_period_count,
        count(case when exclusion_reason = 'contact_cap' then 1 end) as contact_cap_count,
        count(case when exclusion_reason is null then 1 end) as eligible_count

    from targeted
    group by campaign_id, layer, churn_type

)

select * from final
