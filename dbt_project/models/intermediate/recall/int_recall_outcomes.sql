{#- One row per campaign x customer: what happened in the first month after assignment and the
    customer's pre-churn reference values. A customer recalled by two campaigns has one row per
    campaign; each campaign's windows start at its own assignment.
    - next-day visit: a visit, login or paid order on the calendar day (UTC) after the
      assignment's day;
    - churned at assignment: the churn rule of customer_lifecycle (macros/domain.sql
      is_churned_at on last_sign_of_life: no interaction - any event or order - in the
      churn_days days before assigned_at, sign-up counting as the first sign of life);
    - recalled: churned at assignment and converted in the first month (domain.md: recall rate
      = recalled customers / targeted churned customers). -#}
with

assignments as (

    select * from {{ ref('stg_recall_assignments') }}

),

campaigns as (

    select * from {{ ref('stg_recall_campaigns') }}

),

touches as (

    select * from {{ ref('stg_recall_touches') }}

),

orders as (

    select * from {{ ref('stg_orders') }}

),

events as (

    select * from {{ ref('stg_events') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

),

bounds as (

    select * from {{ ref('int_data_bounds') }}

),

paid_orders as (

    select
        customer_id,
        ordered_at,
        gmv

    from orders
    where order_status = 'paid'

),

visits as (

    select
        customer_id,
        event_at

    from events
    where event_type in ('visit', 'login')

),

touch_summary as (

    select
        campaign_id,
        customer_id,
        max(case when is_delivered then 1 else 0 end) as is_touched,
        sum(cost) as contact_cost

    from touches
    group by campaign_id, customer_id

),

first_month_facts as (

    select
        customer_id,
        ordered_at as happened_at,
        true as is_order,
        gmv

    from paid_orders

    union all

    select
        customer_id,
        event_at as happened_at,
        false as is_order,
        null as gmv

    from visits

),

first_month_activity as (

    select
        assignments.campaign_id,
        assignments.customer_id,
        count(case when first_month_facts.is_order then 1 end) as first_month_orders,
        sum(case when first_month_facts.is_order then first_month_facts.gmv end)
            as first_month_gmv,
        count(case when not first_month_facts.is_order then 1 end) as first_month_visits

    from assignments
    inner join first_month_facts
        on assignments.customer_id = first_month_facts.customer_id
        and first_month_facts.happened_at >= assignments.assigned_at
        and first_month_facts.happened_at
            < {{ dbt.dateadd('day', var('first_month_days'), 'assignments.assigned_at') }}
    group by assignments.campaign_id, assignments.customer_id

),

next_day_activity as (

    select
        assignments.campaign_id,
        assignments.customer_id,
        1 as is_next_day_visit

    from assignments
    inner join first_month_facts
        on assignments.customer_id = first_month_facts.customer_id
        and first_month_facts.happened_at
            >= {{ dbt.dateadd('day', 1, dbt.date_trunc('day', 'assignments.assigned_at')) }}
        and first_month_facts.happened_at
            < {{ dbt.dateadd('day', 2, dbt.date_trunc('day', 'assignments.assigned_at')) }}
    group by assignments.campaign_id, assignments.customer_id

),

interactions as (

    select
        customer_id,
        ordered_at as happened_at

    from orders

    union all

    select
        customer_id,
        event_at as happened_at

    from events

),

recent_interactions as (

    {#- Only the churn_days window before the assignment can keep a customer active: the last
        interaction inside it, null when there is none (then the sign-up decides). -#}
    select
        assignments.campaign_id,
        assignments.customer_id,
        max(interactions.happened_at) as last_interaction_at

    from assignments
    inner join interactions
        on assignments.customer_id = interactions.customer_id
        and interactions.happened_at < assignments.assigned_at
        and interactions.happened_at
            >= {{ dbt.dateadd('day', -1 * var('churn_days'), 'assignments.assigned_at') }}
    group by assignments.campaign_id, assignments.customer_id

),

churn_at_assignment as (

    select
        assignments.campaign_id,
        assignments.customer_id,
        case
            when {{ is_churned_at(last_sign_of_life('recent_interactions.last_interaction_at',
                                                    'customers.signup_at'),
                                  'assignments.assigned_at') }}
                then 1
            else 0
        end as is_churned_at_assignment

    from assignments
    left join customers
        on assignments.customer_id = customers.customer_id
    left join recent_interactions
        on assignments.campaign_id = recent_interactions.campaign_id
        and assignments.customer_id = recent_interactions.customer_id

),

pre_churn_orders as (

    select
        assignments.campaign_id,
        assignments.customer_id,
        sum(paid_orders.gmv) / nullif(count(*), 0) as pre_churn_aov,
        max(paid_orders.ordered_at) as last_order_before_at

    from assignments
    inner join paid_orders
        on assignments.customer_id = paid_orders.customer_id
        and paid_orders.ordered_at < assignments.assigned_at
        and paid_orders.ordered_at >= {{ dbt.dateadd('day', -365, 'assignments.assigned_at') }}
    group by assignments.campaign_id, assignments.customer_id

),

pre_churn_gmv as (

    select
        pre_churn_orders.campaign_id,
        pre_churn_orders.customer_id,
        sum(paid_orders.gmv) / 3.0 as pre_churn_monthly_gmv

    from pre_churn_orders
    inner join paid_orders
        on pre_churn_orders.customer_id = paid_orders.customer_id
        and paid_orders.ordered_at <= pre_churn_orders.last_order_before_at
        and paid_orders.ordered_at
            > {{ dbt.dateadd('day', -90, 'pre_churn_orders.last_order_before_at') }}
    group by pre_churn_orders.campaign_id, pre_churn_orders.customer_id

),

final as (

    select
        assignments.campaign_id,
        assignments.customer_id,
        assignments.layer,
        assignments.churn_type,
        assignments.arm,
        assignments.offer,
        assignments.channel,
        assignments.variant,
        assignments.template,
        assignments.assigned_at,
        coalesce(campaigns.design, 'observational') as design,
        coalesce(campaigns.kind, 'wave') as kind,
        coalesce(touch_summary.is_touched, 0) as is_touched,
        coalesce(touch_summary.contact_cost, 0) as contact_cost,
        case
            when coalesce(first_month_activity.first_month_visits, 0)
                + coalesce(first_month_activity.first_month_orders, 0) > 0
                then 1
            else 0
        end as is_activated,
        case when coalesce(first_month_activity.first_month_orders, 0) > 0 then 1 else 0 end
            as is_converted,
        case when coalesce(first_month_activity.first_month_orders, 0) > 1 then 1 else 0 end
            as is_repurchased,
        coalesce(next_day_activity.is_next_day_visit, 0) as is_next_day_visit,
        churn_at_assignment.is_churned_at_assignment,
        case
            when churn_at_assignment.is_churned_at_assignment = 1
                and coalesce(first_month_activity.first_month_orders, 0) > 0
                then 1
            else 0
        end as is_recalled,
        coalesce(first_month_activity.first_month_orders, 0) as first_month_orders,
        coalesce(first_month_activity.first_month_gmv, 0) as first_month_gmv,
        pre_churn_orders.pre_churn_aov,
        coalesce(pre_churn_gmv.pre_churn_monthly_gmv, 0) as pre_churn_monthly_gmv,
        case
            when {{ dbt.dateadd('day', var('first_month_days'), 'assignments.assigned_at') }}
                <= {{ dbt.dateadd('day', 1, 'bounds.data_last_day') }}
                then 1
            else 0
        end as is_window_complete

    from assignments
    cross join bounds
    left join campaigns
        on assignments.campaign_id = campaigns.campaign_id
    left join touch_summary
        on assignments.campaign_id = touch_summary.campaign_id
        and assignments.customer_id = touch_summary.customer_id
    left join first_month_activity
        on assignments.campaign_id = first_month_activity.campaign_id
        and assignments.customer_id = first_month_activity.customer_id
    left join next_day_activity
        on assignments.campaign_id = next_day_activity.campaign_id
        and assignments.customer_id = next_day_activity.customer_id
    left join churn_at_assignment
        on assignments.campaign_id = churn_at_assignment.campaign_id
        and assignments.customer_id = churn_at_assignment.customer_id
    left join pre_churn_orders
        on assignments.campaign_id = pre_churn_orders.campaign_id
        and assignments.customer_id = pre_churn_orders.customer_id
    left join pre_churn_gmv
        on assignments.campaign_id = pre_churn_gmv.campaign_id
        and assignments.customer_id = pre_churn_gmv.customer_id

)

select * from final
