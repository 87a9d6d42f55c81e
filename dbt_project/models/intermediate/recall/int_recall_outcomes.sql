{#- One row per campaign x customer: what happened in the first month after assignment and the
    customer's pre-churn reference values. A customer recalled by two campaigns has one row per
    campaign; each campaign's windows start at its own assignment. -#}
with

assignments as (
    select * from {{ ref('stg_recall_assignments') }}
),

campaigns as (
    select campaign_id, design from {{ ref('stg_recall_campaigns') }}
),

touches as (
    select campaign_id, customer_id, max(case when is_delivered then 1 else 0 end) as is_touched,
        sum(cost) as contact_cost
    from {{ ref('stg_recall_touches') }}
    group by campaign_id, customer_id
),

orders as (
    select customer_id, ordered_at, gmv from {{ ref('stg_orders') }}
    where order_status = 'paid'
),

events as (
    select customer_id, event_at from {{ ref('stg_events') }}
    where event_type in ('visit', 'login')
),

bounds as (
    select data_last_day from {{ ref('int_data_bounds') }}
),

first_month_orders as (
    select a.campaign_id, a.customer_id, count(*) as first_month_orders,
        sum(o.gmv) as first_month_gmv
    from assignments as a
    inner join orders as o
        on o.customer_id = a.customer_id
        and o.ordered_at >= a.assigned_at
        and o.ordered_at < {{ dbt.dateadd('day', var('first_month_days'), 'a.assigned_at') }}
    group by a.campaign_id, a.customer_id
),

first_month_visits as (
    select a.campaign_id, a.customer_id, count(*) as first_month_visits
    from assignments as a
    inner join events as e
        on e.customer_id = a.customer_id
        and e.event_at >= a.assigned_at
        and e.event_at < {{ dbt.dateadd('day', var('first_month_days'), 'a.assigned_at') }}
    group by a.campaign_id, a.customer_id
),

pre_churn as (
    select a.campaign_id, a.customer_id,
        sum(o.gmv) / nullif(count(*), 0) as pre_churn_aov,
        max(o.ordered_at) as last_order_before_at
    from assignments as a
    inner join orders as o
        on o.customer_id = a.customer_id
        and o.ordered_at < a.assigned_at
        and o.ordered_at >= {{ dbt.dateadd('day', -365, 'a.assigned_at') }}
    group by a.campaign_id, a.customer_id
),

pre_churn_gmv as (
    select p.campaign_id, p.customer_id, sum(o.gmv) / 3.0 as pre_churn_monthly_gmv
    from pre_churn as p
    inner join orders as o
        on o.customer_id = p.customer_id
        and o.ordered_at <= p.last_order_before_at
        and o.ordered_at > {{ dbt.dateadd('day', -90, 'p.last_order_before_at') }}
    group by p.campaign_id, p.customer_id
),

final as (
    select
        a.campaign_id,
        a.customer_id,
        a.layer,
        a.churn_type,
        a.arm,
        a.offer,
        a.channel,
        a.assigned_at,
        coalesce(c.design, 'observational') as design,
        coalesce(t.is_touched, 0) as is_touched,
        coalesce(t.contact_cost, 0) as contact_cost,
        case when coalesce(v.first_month_visits, 0) + coalesce(o.first_month_orders, 0) > 0
            then 1 else 0 end as is_activated,
        case when coalesce(o.first_month_orders, 0) > 0 then 1 else 0 end as is_converted,
        case when coalesce(o.first_month_orders, 0) > 1 then 1 else 0 end as is_repurchased,
        coalesce(o.first_month_orders, 0) as first_month_orders,
        coalesce(o.first_month_gmv, 0) as first_month_gmv,
        p.pre_churn_aov,
        coalesce(g.pre_churn_monthly_gmv, 0) as pre_churn_monthly_gmv,
        case when {{ dbt.dateadd('day', var('first_month_days'), 'a.assigned_at') }}
            <= {{ dbt.dateadd('day', 1, 'b.data_last_day') }} then 1 else 0 end
            as is_window_complete
    from assignments as a
    cross join bounds as b
    left join campaigns as c on c.campaign_id = a.campaign_id
    left join touches as t on t.campaign_id = a.campaign_id and t.customer_id = a.customer_id
    left join first_month_orders as o
        on o.campaign_id = a.campaign_id and o.customer_id = a.customer_id
    left join first_month_visits as v
        on v.campaign_id = a.campaign_id and v.customer_id = a.customer_id
    left join pre_churn as p on p.campaign_id = a.campaign_id and p.customer_id = a.customer_id
    left join pre_churn_gmv as g
        on g.campaign_id = a.campaign_id and g.customer_id = a.customer_id
)

select * from final
