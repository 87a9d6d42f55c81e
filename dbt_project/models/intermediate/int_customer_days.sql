{#- Customer x day activity: one row per customer and calendar day with at least one
    interaction (any event or an order), with counts by event type and the day's interaction
    timestamps. -#}
with

events as (

    select * from {{ ref('stg_events') }}

),

orders as (

    select * from {{ ref('stg_orders') }}

),

event_days as (

    select
        customer_id,
        event_date as activity_date,
        sum(case when event_type = 'visit' then 1 else 0 end) as visit_count,
        sum(case when event_type = 'login' then 1 else 0 end) as login_count,
        sum(case when event_type = 'view' then 1 else 0 end) as view_count,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as add_to_cart_count,
        sum(case when event_type = 'search' then 1 else 0 end) as search_count,
        sum(case when event_type = 'search' and is_competitor_search then 1 else 0 end)
            as competitor_search_count,
        sum(case when event_type = 'promo_view' then 1 else 0 end) as promo_view_count,
        sum(case when event_type = 'review' then 1 else 0 end) as review_count,
        count(*) as event_count,
        0 as order_count,
        min(event_at) as first_interaction_at,
        max(event_at) as last_interaction_at,
        max(case when event_type = 'visit' then event_at end) as last_visit_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_order_at

    from events
    group by customer_id, event_date

),

order_days as (

    select
        customer_id,
        order_date as activity_date,
        0 as visit_count,
        0 as login_count,
        0 as view_count,
        0 as add_to_cart_count,
        0 as search_count,
        0 as competitor_search_count,
        0 as promo_view_count,
        0 as review_count,
        0 as event_count,
        count(*) as order_count,
        min(ordered_at) as first_interaction_at,
        max(ordered_at) as last_interaction_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_visit_at,
        max(ordered_at) as last_order_at

    from orders
    group by customer_id, order_date

),

unioned as (

    select * from event_days
    union all
    select * from order_days

),

final as (

    select
        customer_id,
        activity_date,
        cast(sum(visit_count) as {{ dbt.type_int() }}) as visit_count,
        cast(sum(login_count) as {{ dbt.type_int() }}) as login_count,
        cast(sum(view_count) as {{ dbt.type_int() }}) as view_count,
        cast(sum(add_to_cart_count) as {{ dbt.type_int() }}) as add_to_cart_count,
        cast(sum(search_count) as {{ dbt.type_int() }}) as search_count,
        cast(sum(competitor_search_count) as {{ dbt.type_int() }}) as competitor_search_count,
        cast(sum(promo_view_count) as {{ dbt.type_int() }}) as promo_view_count,
        cast(sum(review_count) as {{ dbt.type_int() }}) as review_count,
        cast(sum(event_count) as {{ dbt.type_int() }}) as event_count,
        cast(sum(order_count) as {{ dbt.type_int() }}) as order_count,
        min(first_interaction_at) as first_interaction_at,
        max(last_interaction_at) as last_interaction_at,
        max(last_visit_at) as last_visit_at,
        max(last_order_at) as last_order_at

    from unioned
    group by customer_id, activity_date

)

select * from final
