{#- The dense customer x calendar-month grid, from the sign-up month (or the data's first month
    for customers who signed up before the history) to the data's last month
    (months without activity are zero rows), with the month's activity, order, delivery,
    support and referral counts and its first / last interaction timestamps. Rolling windows in
    the marts are window functions over this grid (one row per month, no gaps). -#}
with

customers as (

    select * from {{ ref('stg_customers') }}

),

bounds as (

    select * from {{ ref('int_data_bounds') }}

),

customer_days as (

    select * from {{ ref('int_customer_days') }}

),

order_facts as (

    select * from {{ ref('int_order_facts') }}

),

ticket_facts as (

    select * from {{ ref('int_ticket_facts') }}

),

category_months as (

    select * from {{ ref('int_customer_category_months') }}

),

referrals as (

    select * from {{ ref('stg_referrals') }}

),

calendar_months as (

    select
        cast({{ timestamp_series('data_first_month', 'data_last_month') }} as date) as month_start

    from bounds

),

customer_grid as (

    select
        customers.customer_id,
        calendar_months.month_start

    from customers
    cross join bounds
    inner join calendar_months
        on calendar_months.month_start >= {{ month_start('customers.signup_at') }}
        and calendar_months.month_start >= bounds.data_first_month

),

activity_months as (

    select
        customer_id,
        {{ month_start('activity_date') }} as month_start,
        sum(visit_count) as visit_count,
        sum(login_count) as login_count,
        sum(view_count) as view_count,
        sum(add_to_cart_count) as add_to_cart_count,
        sum(search_count) as search_count,
        sum(competitor_search_count) as competitor_search_count,
        sum(promo_view_count) as promo_view_count,
        sum(review_count) as review_count,
        count(*) as active_day_count,
        count(*) filter (where add_to_cart_count > 0) as cart_day_count,
        count(*) filter (where add_to_cart_count > 0 and order_count = 0)
            as cart_without_order_day_count,
        min(first_interaction_at) as first_interaction_at,
        max(last_interaction_at) as last_interaction_at,
        max(last_visit_at) as last_visit_at,
        max(last_order_at) as last_order_at

    from customer_days
    group by customer_id, {{ month_start('activity_date') }}

),

order_months as (

    select
        customer_id,
        order_month as month_start,
        count(*) as order_count,
        count(*) filter (where is_paid) as paid_order_count,
        sum(paid_gmv) as paid_gmv,
        sum(paid_discount_amount) as paid_discount_amount,
        count(*) filter (where is_coupon_order) as coupon_order_count

    from order_facts
    group by customer_id, order_month

),

delivery_months as (

    select
        customer_id,
        outcome_known_month as month_start,
        count(*) filter (where is_returned) as returned_order_count,
        sum(delivery_days) as delivery_days_sum,
        count(delivery_days) as delivery_count,
        count(*) filter (where is_late_delivery) as late_delivery_count

    from order_facts
    group by customer_id, outcome_known_month

),

ticket_months as (

    select
        customer_id,
        opened_month as month_start,
        count(*) as ticket_count,
        count(*) filter (where is_complaint) as complaint_count,
        count(*) filter (where is_inquiry) as inquiry_count,
        count(*) filter (where is_return_ticket) as return_ticket_count,
        count(*) filter (where is_slow_response) as slow_response_count,
        sum(first_response_minutes) as first_response_minutes_sum,
        count(first_response_minutes) as first_response_count,
        sum(satisfaction_score) as satisfaction_sum,
        count(satisfaction_score) as satisfaction_count

    from ticket_facts
    group by customer_id, opened_month

),

month_offsets as (

    select 0 as month_offset
    union all
    select 1 as month_offset
    union all
    select 2 as month_offset

),

category_breadth as (

    {#- category_months has one row per customer, month and category: the month's own rows
        count its categories, distinct categories over it and the two months before give the
        3-month breadth (one aggregation for both). #}
    select
        category_months.customer_id,
        {{ add_months('category_months.month_start', 'month_offsets.month_offset') }} as month_start,
        count(*) filter (where month_offsets.month_offset = 0) as category_count,
        count(distinct category_months.category) as category_count_3m

    from category_months
    cross join month_offsets
    group by
        category_months.customer_id,
        {{ add_months('category_months.month_start', 'month_offsets.month_offset') }}

),

referral_months as (

    select
        referrer_customer_id as customer_id,
        {{ month_start('referred_at') }} as month_start,
        count(*) as referral_count

    from referrals
    group by referrer_customer_id, {{ month_start('referred_at') }}

),

joined as (

    select
        customer_grid.customer_id,
        customer_grid.month_start,
        {%- for column in [
            'activity_months.visit_count', 'activity_months.login_count',
            'activity_months.view_count', 'activity_months.add_to_cart_count',
            'activity_months.search_count', 'activity_months.competitor_search_count',
            'activity_months.promo_view_count', 'activity_months.review_count',
            'activity_months.active_day_count', 'activity_months.cart_day_count',
            'activity_months.cart_without_order_day_count',
            'order_months.order_count', 'order_months.paid_order_count',
            'order_months.coupon_order_count',
            'delivery_months.returned_order_count', 'delivery_months.delivery_days_sum',
            'delivery_months.delivery_count', 'delivery_months.late_delivery_count',
            'ticket_months.ticket_count', 'ticket_months.complaint_count',
            'ticket_months.inquiry_count', 'ticket_months.return_ticket_count',
            'ticket_months.slow_response_count', 'ticket_months.first_response_count',
            'ticket_months.satisfaction_sum', 'ticket_months.satisfaction_count',
            'category_breadth.category_count', 'category_breadth.category_count_3m',
            'referral_months.referral_count',
        ] %}
        cast(coalesce({{ column }}, 0) as {{ dbt.type_int() }}) as {{ column.split('.')[1] }},
        {%- endfor %}
        cast(coalesce(order_months.paid_gmv, 0) as {{ type_double() }}) as paid_gmv,
        cast(coalesce(order_months.paid_discount_amount, 0) as {{ type_double() }})
            as paid_discount_amount,
        cast(coalesce(ticket_months.first_response_minutes_sum, 0) as {{ type_double() }})
            as first_response_minutes_sum,
        activity_months.first_interaction_at,
        activity_months.last_interaction_at,
        activity_months.last_visit_at,
        activity_months.last_order_at

    from customer_grid
    left join activity_months
        on customer_grid.customer_id = activity_months.customer_id
        and customer_grid.month_start = activity_months.month_start
    left join order_months
        on customer_grid.customer_id = order_months.customer_id
        and customer_grid.month_start = order_months.month_start
    left join delivery_months
        on customer_grid.customer_id = delivery_months.customer_id
        and customer_grid.month_start = delivery_months.month_start
    left join ticket_months
        on customer_grid.customer_id = ticket_months.customer_id
        and customer_grid.month_start = ticket_months.month_start
    left join category_breadth
        on customer_grid.customer_id = category_breadth.customer_id
        and customer_grid.month_start = category_breadth.month_start
    left join referral_months
        on customer_grid.customer_id = referral_months.customer_id
        and customer_grid.month_start = referral_months.month_start

),

final as (

    select * from joined

)

select * from final
