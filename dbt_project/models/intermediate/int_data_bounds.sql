{#- One row: the first and last day the shop's activity data covers (events, orders, tickets;
    sign-ups may predate the history and only extend the last day), and the as-of day of the
    customer_lifecycle / customer_value marts (var as_of_date, default the data's last day). -#}
with

customers as (

    select signup_at as happened_at from {{ ref('stg_customers') }}

),

customer_days as (

    select * from {{ ref('int_customer_days') }}

),

tickets as (

    select opened_at as happened_at from {{ ref('stg_support_tickets') }}

),

activity as (

    select first_interaction_at as happened_at from customer_days
    union all
    select last_interaction_at as happened_at from customer_days
    union all
    select happened_at from tickets

),

activity_bounds as (

    select
        min(happened_at) as first_activity_at,
        max(happened_at) as last_activity_at

    from activity

),

visit_records as (

    select max(last_visit_at) is not null as has_visit_events
    from customer_days

),

signup_bounds as (

    select
        min(happened_at) as first_signup_at,
        max(happened_at) as last_signup_at

    from customers

),

bounds as (

    select
        visit_records.has_visit_events,
        cast(coalesce(activity_bounds.first_activity_at, signup_bounds.first_signup_at) as date)
            as data_first_day,
        cast(
            case
                when activity_bounds.last_activity_at is null
                    or signup_bounds.last_signup_at > activity_bounds.last_activity_at
                    then signup_bounds.last_signup_at
                else activity_bounds.last_activity_at
            end as date
        ) as data_last_day

    from activity_bounds
    cross join signup_bounds
    cross join visit_records

),

final as (

    select
        data_first_day,
        data_last_day,
        has_visit_events,
        {{ month_start('data_first_day') }} as data_first_month,
        {{ month_start('data_last_day') }} as data_last_month,
        {{ as_of_date_expr('data_last_day') }} as as_of_date

    from bounds

)

select * from final
