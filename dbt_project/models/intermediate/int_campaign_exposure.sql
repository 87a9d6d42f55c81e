{#- One row per campaign x customer: the assignment (layer, churn type, arm, offer, channel) and
    the touches' funnel (sent, delivered, first opened / clicked / redeemed, cost). Customers
    touched without an assignment row keep null assignment columns. -#}
with

campaigns as (

    select * from {{ ref('stg_recall_campaigns') }}

),

assignments as (

    select * from {{ ref('stg_recall_assignments') }}

),

touches as (

    select * from {{ ref('stg_recall_touches') }}

),

touch_funnel as (

    select
        campaign_id,
        customer_id,
        count(*) as touch_count,
        sum(case when is_delivered then 1 else 0 end) as delivered_count,
        min(sent_at) as first_sent_at,
        max(sent_at) as last_sent_at,
        min(opened_at) as first_opened_at,
        min(clicked_at) as first_clicked_at,
        min(redeemed_at) as first_redeemed_at,
        sum(cost) as touch_cost

    from touches
    group by campaign_id, customer_id

),

campaign_customers as (

    select campaign_id, customer_id from assignments
    union
    select campaign_id, customer_id from touch_funnel

),

final as (

    select
        campaign_customers.campaign_id,
        campaign_customers.customer_id,
        campaigns.wave,
        campaigns.design,
        campaigns.started_at as campaign_started_at,
        campaigns.ends_at as campaign_ends_at,
        assignments.layer,
        assignments.churn_type,
        assignments.arm,
        assignments.offer,
        assignments.channel,
        assignments.assigned_at,
        cast(coalesce(touch_funnel.touch_count, 0) as {{ dbt.type_int() }}) as touch_count,
        cast(coalesce(touch_funnel.delivered_count, 0) as {{ dbt.type_int() }}) as delivered_count,
        touch_funnel.first_sent_at,
        touch_funnel.last_sent_at,
        touch_funnel.first_opened_at,
        touch_funnel.first_clicked_at,
        touch_funnel.first_redeemed_at,
        cast(coalesce(touch_funnel.touch_cost, 0) as {{ type_double() }}) as touch_cost,
        case when touch_funnel.touch_count > 0 then true else false end as is_touched,
        case when touch_funnel.delivered_count > 0 then true else false end as is_delivered,
        case when touch_funnel.first_opened_at is not null then true else false end as is_opened,
        case when touch_funnel.first_clicked_at is not null then true else false end as is_clicked,
        case when touch_funnel.first_redeemed_at is not null then true else false end as is_redeemed

    from campaign_customers
    left join campaigns
        on campaign_customers.campaign_id = campaigns.campaign_id
    left join assignments
        on campaign_customers.campaign_id = assignments.campaign_id
        and campaign_customers.customer_id = assignments.customer_id
    left join touch_funnel
        on campaign_customers.campaign_id = touch_funnel.campaign_id
        and campaign_customers.customer_id = touch_funnel.customer_id

)

select * from final
