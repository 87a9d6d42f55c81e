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
    select * from {{ ref('recall_effect_first_month') }} where arm = 'treatment'
),

funnel as (
    select campaign_id, channel,
        count(*) as sent_count,
        sum(case when is_delivered then 1 else 0 end) as delivered_count,
        sum(case when opened_at is not null then 1 else 0 end) as opened_count,
        sum(case when clicked_at is not null then 1 else 0 end) as clicked_count,
        sum(case when redeemed_at is not null then 1 else 0 end) as redeemed_count,
        sum(cost) as cost
    from touches
    group by campaign_id, channel
    union all
    select campaign_id, 'all',
        count(*), sum(case when is_delivered then 1 else 0 end),
        sum(case when opened_at is not null then 1 else 0 end),
        sum(case when clicked_at is not null then 1 else 0 end),
        sum(case when redeemed_at is not null then 1 else 0 end),
        sum(cost)
    from touches
    group by campaign_id
),

results as (
    select campaign_id, channel, sum(incremental_gmv) as incremental_gmv,
        sum(converted_count) as converted_count
    from effects group by campaign_id, channel
    union all
    select campaign_id, 'all', sum(incremental_gmv), sum(converted_count)
    from effects group by campaign_id
),

final as (
    select
        f.campaign_id,
        c.wave,
        c.design,
        c.started_at,
        f.channel,
        f.sent_count,
        f.delivered_count,
        f.opened_count,
        f.clicked_count,
        f.redeemed_count,
        f.delivered_count * 1.0 / nullif(f.sent_count, 0) as delivery_rate,
        f.opened_count * 1.0 / nullif(f.delivered_count, 0) as open_rate,
        f.clicked_count * 1.0 / nullif(f.opened_count, 0) as click_rate,
        f.redeemed_count * 1.0 / nullif(f.sent_count, 0) as redemption_rate,
        r.converted_count,
        f.cost,
        r.incremental_gmv,
        (r.incremental_gmv * {{ var('gross_margin') }} - f.cost) / nullif(f.cost, 0) as roi,
        dense_rank() over (order by c.started_at, f.campaign_id) as wave_order
    from funnel as f
    left join campaigns as c on c.campaign_id = f.campaign_id
    left join results as r on r.campaign_id = f.campaign_id and r.channel = f.channel
)

select * from final
