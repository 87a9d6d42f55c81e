{#- Customer x day activity: one row per customer and calendar day with at least one
    interaction (any event or an order), with counts by event type and the day's interaction
    timestamps. Events and orders are aggregated per day on their own and then joined (full
    outer join: a day may have events only, orders only, or both). Orders come from
    int_order_facts (stg_orders, deduplicated once for both models). -#}
with

events as (

    select * from {{ ref('stg_events') }}

),

orders as (

    select customer_id, order_date, ordered_at from {{ ref('int_order_facts') }}

),

event_days as (

    select
        customer_id,
        event_date as activity_date,
        count(*) filter (where event_type = 'visit') as visit_count,
        count(*) filter (where event_type = 'login') as login_count,
        count(*) filter (where event_type = 'view') as view_count,
        count(*) filter (where event_type = 'add_to_cart') as add_to_cart_count,
        count(*) filter (where event_type = 'search') as search_count,
        count(*) filter (where event_type = 'search' and is_competitor_search)
            as competitor_search_count,
        count(*) filter (where event_type = 'promo_view') as promo_view_count,
        count(*) filter (where event_type = 'review') as review_count,
        count(*) as event_count,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        max(event_at) filter (where event_type = 'visit') as last_visit_at

    from events
    group by customer_id, event_date

),

order_days as (

    select
        customer_id,
        order_date as activity_date,
        count(*) as order_count,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at

    from orders
    group by customer_id, order_date

),

final as (

    select
        coalesce(event_days.customer_id, order_days.customer_id) as customer_id,
        coalesce(event_days.activity_date, order_days.activity_date) as activity_date,
        {%- for column in ['visit_count', 'login_count', 'view_count', 'add_to_cart_count',
                           'search_count', 'competitor_search_count', 'promo_view_count',
                           'review_count', 'event_count'] %}
        cast(coalesce(event_days.{{ column }}, 0) as {{ dbt.type_int() }}) as {{ column }},
        {%- endfor %}
        cast(coalesce(order_days.order_count, 0) as {{ dbt.type_int() }}) as order_count,
        {#- least / greatest skip nulls (DuckDB and PostgreSQL). #}
        least(event_days.first_event_at, order_days.first_order_at) as first_interaction_at,
        greatest(event_days.last_event_at, order_days.last_order_at) as last_interaction_at,
        event_days.last_visit_at,
        order_days.last_order_at

    from event_days
    full outer join order_days
        on event_days.customer_id = order_days.customer_id
        and event_days.activity_date = order_days.activity_date

)

select * from final
