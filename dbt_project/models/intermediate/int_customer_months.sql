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

day_gaps as (

    select
        customer_days.*,
        lag(activity_date) over (partition by customer_id order by activity_date)
            as previous_activity_date

    from customer_days

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
        sum(case
            when activity_date >= {{ add_days(add_months(month_start('activity_date'), 1), -1 * var('recent_window_days')) }}
                then visit_count
            else 0
        end) as recent_visit_count,
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
        max(last_order_at) as last_order_at,
        cast(max(previous_activity_date) as {{ dbt.type_timestamp() }}) as previous_interaction_at,
        cast(max(case
            when previous_activity_date is not null
                and {{ is_churned_at('previous_activity_date', 'activity_date') }}
                then activity_date
        end) as {{ dbt.type_timestamp() }}) as last_churn_return_at

    from day_gaps
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

category_window as (

    {#- category_months has one row per customer, month and category: each row counts for its
        own month and the two after (offsets 0-2); one row per customer, window month and
        category, flagged when the category was bought in the window month itself. Plain
        aggregates, not count(distinct), so DuckDB can spill them at a million customers. #}
    select
        category_months.customer_id,
        {{ add_months('category_months.month_start', 'month_offsets.month_offset') }} as month_start,
        category_months.category,
        max(case when month_offsets.month_offset = 0 then 1 else 0 end) as is_in_own_month

    from category_months
    cross join month_offsets
    group by
        category_months.customer_id,
        {{ add_months('category_months.month_start', 'month_offsets.month_offset') }},
        category_months.category

),

category_breadth as (

    select
        customer_id,
        month_start,
        sum(is_in_own_month) as category_count,
        count(*) as category_count_3m

    from category_window
    group by customer_id, month_start

),

referral_months as (

    select
        referrer_customer_id as customer_id,
        {{ month_start('referred_at') }} as month_start,
        count(*) as referral_count

    from referrals
    group by referrer_customer_id, {{ month_start('referred_at') }}

),

{#- Each source has at most one row per customer and month. They are stacked (every column
    from every source, a typed null where a source has none, as PostgreSQL types a union pairwise)
    and summed per customer and month, then
    joined once to the dense grid: one aggregate and one join, both of which DuckDB can spill,
    instead of six joins whose hash tables must all fit in memory together. #}
{%- set facts = {
    'activity_months': ['visit_count', 'recent_visit_count', 'login_count', 'view_count',
                        'add_to_cart_count', 'search_count', 'competitor_search_count',
                        'promo_view_count', 'review_count', 'active_day_count', 'cart_day_count',
                        'cart_without_order_day_count'],
    'order_months': ['order_count', 'paid_order_count', 'coupon_order_count', 'paid_gmv',
                     'paid_discount_amount'],
    'delivery_months': ['returned_order_count', 'delivery_days_sum', 'delivery_count',
                        'late_delivery_count'],
    'ticket_months': ['ticket_count', 'complaint_count', 'inquiry_count',
                      'return_ticket_count', 'slow_response_count', 'first_response_count',
                      'first_response_minutes_sum', 'satisfaction_sum', 'satisfaction_count'],
    'category_breadth': ['category_count', 'category_count_3m'],
    'referral_months': ['referral_count'],
} %}
{%- set timestamps = {'first_interaction_at': 'min', 'last_interaction_at': 'max',
                      'last_visit_at': 'max', 'last_order_at': 'max',
                      'previous_interaction_at': 'max', 'last_churn_return_at': 'max'} %}
{%- set amounts = ['paid_gmv', 'paid_discount_amount', 'first_response_minutes_sum'] %}
{%- set counts = [] %}
{%- for columns in facts.values() %}{% for c in columns if c not in amounts %}
{%- do counts.append(c) %}{% endfor %}{% endfor %}

stacked_facts as (
    {%- for source, columns in facts.items() %}

    select
        customer_id,
        month_start,
        {%- for c in counts %}
        {% if c in columns %}{{ c }}{% else %}cast(null as {{ dbt.type_bigint() }}){% endif %} as {{ c }},
        {%- endfor %}
        {%- for c in amounts %}
        cast({{ c if c in columns else 'null' }} as {{ type_double() }}) as {{ c }},
        {%- endfor %}
        {%- for c in timestamps %}
        {% if source == 'activity_months' %}{{ c }}{% else %}cast(null as {{ dbt.type_timestamp() }}){% endif %} as {{ c }}{{ ',' if not loop.last }}
        {%- endfor %}

    from {{ source }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

month_facts as (

    select
        customer_id,
        month_start,
        {%- for c in counts + amounts %}
        sum({{ c }}) as {{ c }},
        {%- endfor %}
        {%- for c, agg in timestamps.items() %}
        {{ agg }}({{ c }}) as {{ c }}{{ ',' if not loop.last }}
        {%- endfor %}

    from stacked_facts
    group by customer_id, month_start

),

joined as (

    select
        customer_grid.customer_id,
        customer_grid.month_start,
        {%- for c in counts %}
        cast(coalesce(month_facts.{{ c }}, 0) as {{ dbt.type_int() }}) as {{ c }},
        {%- endfor %}
        {%- for c in amounts %}
        cast(coalesce(month_facts.{{ c }}, 0) as {{ type_double() }}) as {{ c }},
        {%- endfor %}
        {%- for c in timestamps %}
        month_facts.{{ c }}{{ ',' if not loop.last }}
        {%- endfor %}

    from customer_grid
    left join month_facts
        on customer_grid.customer_id = month_facts.customer_id
        and customer_grid.month_start = month_facts.month_start

),

final as (

    select * from joined

)

select * from final
