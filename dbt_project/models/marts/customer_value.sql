{#- Customer value as of the as-of day (inclusive): annual GMV, AOV and repurchase frequency
    over the last 12 months of paid orders, interaction depth, tier, lifetime and pre-churn GMV,
    their percentiles among customers with any order and the high-value double filter. -#}
{%- set int_type = dbt.type_int() -%}
with

recency as (

    select * from {{ ref('int_customer_recency') }}

),

order_facts as (

    select * from {{ ref('int_order_facts') }}

),

ticket_facts as (

    select * from {{ ref('int_ticket_facts') }}

),

customer_days as (

    select * from {{ ref('int_customer_days') }}

),

membership_periods as (

    select * from {{ ref('int_membership_periods') }}

),

orders_to_date as (

    select
        order_facts.*,
        recency.as_of_date,
        recency.last_interaction_at

    from order_facts
    inner join recency
        on order_facts.customer_id = recency.customer_id
    where order_facts.order_date <= recency.as_of_date

),

order_value as (

    select
        customer_id,
        count(*) as lifetime_order_count,
        sum(paid_gmv) as lifetime_gmv,
        sum(
            case
                when {{ in_trailing_12_months('order_date', 'as_of_date') }} then paid_gmv
                else 0
            end
        ) as annual_gmv,
        sum(
            case
                when is_paid and {{ in_trailing_12_months('order_date', 'as_of_date') }} then 1
                else 0
            end
        ) as orders_12m,
        sum(
            case
                when ordered_at > {{ dbt.dateadd('month', -3, 'last_interaction_at') }}
                    and ordered_at <= last_interaction_at
                    then paid_gmv
                else 0
            end
        ) as pre_churn_gmv_3m

    from orders_to_date
    group by customer_id

),

ticket_depth as (

    select
        ticket_facts.customer_id,
        count(*) as ticket_count_12m

    from ticket_facts
    inner join recency
        on ticket_facts.customer_id = recency.customer_id
    where {{ in_trailing_12_months('ticket_facts.opened_date', 'recency.as_of_date') }}
    group by ticket_facts.customer_id

),

review_depth as (

    select
        customer_days.customer_id,
        sum(customer_days.review_count) as review_count_12m

    from customer_days
    inner join recency
        on customer_days.customer_id = recency.customer_id
    where {{ in_trailing_12_months('customer_days.activity_date', 'recency.as_of_date') }}
    group by customer_days.customer_id

),

current_tier as (

    select
        membership_periods.customer_id,
        membership_periods.tier,
        membership_periods.tier_rank

    from membership_periods
    inner join recency
        on membership_periods.customer_id = recency.customer_id
    where cast(membership_periods.valid_from as date) <= recency.as_of_date
        and (
            membership_periods.valid_to is null
            or cast(membership_periods.valid_to as date) > recency.as_of_date
        )

),

customer_value as (

    select
        recency.customer_id,
        recency.as_of_date,
        cast(coalesce(order_value.annual_gmv, 0) as {{ type_double() }}) as annual_gmv,
        {{ safe_divide('order_value.annual_gmv', 'order_value.orders_12m') }} as aov_12m,
        cast(coalesce(order_value.orders_12m, 0) as {{ int_type }}) as orders_12m,
        cast(
            coalesce(ticket_depth.ticket_count_12m, 0) + coalesce(review_depth.review_count_12m, 0)
            as {{ int_type }}
        ) as interaction_depth,
        coalesce(current_tier.tier, 'basic') as tier,
        cast(coalesce(current_tier.tier_rank, 0) as {{ int_type }}) as tier_rank,
        cast(coalesce(order_value.lifetime_gmv, 0) as {{ type_double() }}) as lifetime_gmv,
        cast(coalesce(order_value.pre_churn_gmv_3m, 0) / 3.0 as {{ type_double() }})
            as pre_churn_monthly_gmv,
        case when order_value.lifetime_order_count > 0 then true else false end as has_orders

    from recency
    left join order_value
        on recency.customer_id = order_value.customer_id
    left join ticket_depth
        on recency.customer_id = ticket_depth.customer_id
    left join review_depth
        on recency.customer_id = review_depth.customer_id
    left join current_tier
        on recency.customer_id = current_tier.customer_id

),

percentiles as (

    select
        customer_id,
        {{ value_percentile('annual_gmv') }} as gmv_percentile,
        {{ value_percentile('orders_12m') }} as frequency_percentile

    from customer_value
    where has_orders

),

final as (

    select
        customer_value.customer_id,
        customer_value.as_of_date,
        customer_value.annual_gmv,
        customer_value.aov_12m,
        customer_value.orders_12m,
        customer_value.interaction_depth,
        customer_value.tier,
        customer_value.tier_rank,
        customer_value.lifetime_gmv,
        customer_value.pre_churn_monthly_gmv,
        customer_value.has_orders,
        cast(percentiles.gmv_percentile as {{ type_double() }}) as gmv_percentile,
        cast(percentiles.frequency_percentile as {{ type_double() }}) as frequency_percentile,
        {{ is_high_value('percentiles.gmv_percentile', 'percentiles.frequency_percentile') }}
            as is_high_value,
        case
            when percentiles.frequency_percentile >= {{ var('advanced_frequency_percentile') }}
                then true
            else false
        end as is_frequent_buyer

    from customer_value
    left join percentiles
        on customer_value.customer_id = percentiles.customer_id

)

select * from final
