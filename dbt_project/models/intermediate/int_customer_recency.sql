{#- As of the as-of day (int_data_bounds.as_of_date, inclusive): one row per customer signed up
    by then, with the last interaction / visit / order, the latest return after a churned
    stretch (a gap of at least churn_days days without any interaction), and the activity of
    the last hesitating_lookback_days days. -#}
with

customers as (

    select * from {{ ref('stg_customers') }}

),

bounds as (

    select * from {{ ref('int_data_bounds') }}

),

customer_days as (

    select customer_days.*
    from {{ ref('int_customer_days') }} as customer_days
    cross join bounds
    where customer_days.activity_date <= bounds.as_of_date

),

eligible_customers as (

    select
        customers.customer_id,
        customers.signup_at,
        bounds.as_of_date

    from customers
    cross join bounds
    where customers.signup_date <= bounds.as_of_date

),

last_seen as (

    select
        customer_id,
        max(last_interaction_at) as last_interaction_at,
        max(last_visit_at) as last_visit_at,
        max(last_order_at) as last_order_at,
        min(first_interaction_at) as first_interaction_at

    from customer_days
    group by customer_id

),

day_gaps as (

    select
        customer_id,
        activity_date,
        lag(activity_date) over (partition by customer_id order by activity_date)
            as previous_activity_date

    from customer_days

),

returns_from_churn as (

    select
        customer_id,
        max(activity_date) as last_return_date,
        count(*) as return_count

    from day_gaps
    where previous_activity_date is not null
        and {{ is_churned_at('previous_activity_date', 'activity_date') }}
    group by customer_id

),

recent_activity as (

    select
        customer_days.customer_id,
        sum(customer_days.visit_count) as visit_count,
        sum(customer_days.add_to_cart_count) as add_to_cart_count,
        sum(customer_days.order_count) as order_count

    from customer_days
    cross join bounds
    where customer_days.activity_date
        > {{ add_days('bounds.as_of_date', -1 * var('hesitating_lookback_days')) }}
    group by customer_days.customer_id

),

final as (

    select
        eligible_customers.customer_id,
        eligible_customers.as_of_date,
        eligible_customers.signup_at,
        last_seen.first_interaction_at,
        last_seen.last_interaction_at,
        case
            when bounds.has_visit_events = false then last_seen.last_interaction_at
            else last_seen.last_visit_at
        end as last_visit_at,
        last_seen.last_order_at,
        returns_from_churn.last_return_date,
        cast(coalesce(returns_from_churn.return_count, 0) as {{ dbt.type_int() }})
            as churn_return_count,
        cast(coalesce(recent_activity.visit_count, 0) as {{ dbt.type_int() }})
            as recent_visit_count,
        cast(coalesce(recent_activity.add_to_cart_count, 0) as {{ dbt.type_int() }})
            as recent_add_to_cart_count,
        cast(coalesce(recent_activity.order_count, 0) as {{ dbt.type_int() }})
            as recent_order_count

    from eligible_customers
    cross join bounds
    left join last_seen
        on eligible_customers.customer_id = last_seen.customer_id
    left join returns_from_churn
        on eligible_customers.customer_id = returns_from_churn.customer_id
    left join recent_activity
        on eligible_customers.customer_id = recent_activity.customer_id

)

select * from final
