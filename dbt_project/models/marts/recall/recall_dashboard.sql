{#- Wave progress (sent, delivered, opened, clicked, redeemed), results by channel and the ROI
    trend over waves, one row per campaign x channel plus an 'all' row per campaign. -#}
with

touches as (

    select * from {{ ref('stg_recall_touches') }}

),

campaigns as (

    select * from {{ ref('stg_recall_campaigns') }}

),

effects as (

    select * from {{ ref('recall_effect_first_month') }}

),

funnel as (

    select
        campaign_id,
        case when grouping(channel) = 1 then 'all' else channel end as channel,
        count(*) as sent_count,
        sum(case when is_delivered then 1 else 0 end) as delivered_count,
        sum(case when opened_at is not null then 1 else 0 end) as opened_count,
        sum(case when clicked_at is not null then 1 else 0 end) as clicked_count,
        sum(case when redeemed_at is not null then 1 else 0 end) as redeemed_count,
        sum(cost) as cost

    from touches
    group by grouping sets ((campaign_id, channel), (campaign_id))

),

results as (

    select
        campaign_id,
        case when grouping(channel) = 1 then 'all' else channel end as channel,
        sum(incremental_gmv) as incremental_gmv,
        sum(converted_count) as converted_count

    from effects
    where arm = 'treatment'
    group by grouping sets ((campaign_id, channel), (campaign_id))

),

final as (

    select
        funnel.campaign_id,
        campaigns.wave,
        campaigns.design,
        campaigns.started_at,
        funnel.channel,
        funnel.sent_count,
        funnel.delivered_count,
        funnel.opened_count,
        funnel.clicked_count,
        funnel.redeemed_count,
        funnel.delivered_count * 1.0 / nullif(funnel.sent_count, 0) as delivery_rate,
        funnel.opened_count * 1.0 / nullif(funnel.delivered_count, 0) as open_rate,
        funnel.clicked_count * 1.0 / nullif(funnel.opened_count, 0) as click_rate,
        funnel.redeemed_count * 1.0 / nullif(funnel.sent_count, 0) as redemption_rate,
        results.converted_count,
        funnel.cost,
        results.incremental_gmv,
        (results.incremental_gmv * {{ var('gross_margin') }} - funnel.cost)
            / nullif(funnel.cost, 0) as roi,
        dense_rank() over (order by campaigns.started_at, funnel.campaign_id) as wave_order

    from funnel
    left join campaigns
        on funnel.campaign_id = campaigns.campaign_id
    left join results
        on funnel.campaign_id = results.campaign_id
        and funnel.channel = results.channel

)

select * from final
