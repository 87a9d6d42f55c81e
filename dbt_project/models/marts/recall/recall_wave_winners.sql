{#- One row per campaign: the winning variant of recall_effect_variants (the largest positive
    conversion uplift among the variants significant at alpha after Holm's correction over the
    campaign's variants) or none, with the reason, so a pilot's rollout can read its decision
    from one row. -#}
with

variants as (

    select * from {{ ref('recall_effect_variants') }}

),

campaigns as (

    select * from {{ ref('stg_recall_campaigns') }}

),

summary as (

    select
        campaign_id,
        max(kind) as kind,
        max(design) as design,
        count(*) as variant_count,
        sum(case when is_significant then 1 else 0 end) as significant_variant_count,
        max(control_count) as control_count,
        min(case when is_window_complete then 1 else 0 end) = 1 as is_window_complete

    from variants
    group by campaign_id

),

winners as (

    select * from variants where is_winner

),

final as (

    select
        summary.campaign_id,
        summary.kind,
        campaigns.parent_campaign_id,
        summary.design,
        summary.variant_count,
        summary.significant_variant_count,
        summary.control_count,
        winners.variant as winner_variant,
        winners.offer as winner_offer,
        winners.channel as winner_channel,
        winners.template as winner_template,
        winners.targeted_count as winner_targeted_count,
        winners.conversion_uplift as winner_conversion_uplift,
        winners.conversion_uplift_lower as winner_conversion_uplift_lower,
        winners.conversion_uplift_upper as winner_conversion_uplift_upper,
        winners.conversion_p_value_holm as winner_p_value_holm,
        winners.roi as winner_roi,
        case
            when winners.variant is not null
                then 'largest significant conversion uplift after Holm correction'
            when summary.design <> 'randomized'
                then 'observational campaign: no randomized control to test against'
            when summary.control_count = 0
                then 'no control group to test against'
            else 'no variant beat control after Holm correction'
        end as reason,
        summary.is_window_complete

    from summary
    left join winners
        on summary.campaign_id = winners.campaign_id
    left join campaigns
        on summary.campaign_id = campaigns.campaign_id

)

select * from final
