{#- The rows of a customer snapshot mart, one per customer per snapshot date, for one population
    at the snapshot: 'active' (last sign of life at most churn_days before it: customer_snapshots)
    or 'lapsed' (longer ago: lapsed_customer_snapshots, whose label says whether they came back).
    Features use only data strictly before the snapshot: the grid row of the month before it
    closes every window (1m = that month, 3m / 12m = it and the months before). The label
    (no interaction within the window) uses only data on or after the snapshot. -#}
{% macro customer_snapshot_rows(population) -%}
{%- if population not in ('active', 'lapsed') -%}
    {{ exceptions.raise_compiler_error("population must be 'active' or 'lapsed', got " ~ population) }}
{%- endif %}
    {%- set int_type = dbt.type_int() -%}
    with

    customer_months as (

        select * from {{ ref('int_customer_months') }}

    ),

    snapshot_dates as (

        select * from {{ ref('int_snapshot_dates') }}

    ),

    customers as (

        select * from {{ ref('stg_customers') }}

    ),

    membership_periods as (

        select * from {{ ref('int_membership_periods') }}

    ),

    bounds as (

        select * from {{ ref('int_data_bounds') }}

    ),

    rolling as (

        select
            customer_id,
            month_start,

            visit_count as visits_1m,
            recent_visit_count as recent_visits,
            sum(visit_count) over w_last_3 as visits_3m,
            sum(visit_count) over w_last_12 as visits_12m,
            sum(visit_count) over w_prior_2 as visits_prior_2m,
            active_day_count as active_days_1m,
            view_count as views_1m,
            sum(review_count) over w_last_3 as reviews_3m,
            add_to_cart_count as add_to_cart_1m,
            cart_day_count as cart_days_1m,
            cart_without_order_day_count as cart_without_order_days_1m,
            promo_view_count as promo_views_1m,
            search_count as searches_1m,
            sum(search_count) over w_last_3 as searches_3m,
            competitor_search_count as competitor_searches_1m,
            sum(competitor_search_count) over w_last_3 as competitor_searches_3m,

            order_count as orders_1m,
            sum(order_count) over w_last_3 as orders_3m,
            sum(order_count) over w_last_12 as orders_12m,
            sum(paid_order_count) over w_last_12 as paid_orders_12m,
            paid_gmv as gmv_1m,
            sum(paid_gmv) over w_last_3 as gmv_3m,
            sum(paid_gmv) over w_last_12 as gmv_12m,
            sum(paid_gmv) over w_prior_2 as gmv_prior_2m,
            sum(paid_discount_amount) over w_last_12 as paid_discount_12m,
            sum(coupon_order_count) over w_last_12 as coupon_orders_12m,

            sum(returned_order_count) over w_last_12 as returns_12m,
            sum(delivery_days_sum) over w_last_3 as delivery_days_sum_3m,
            sum(delivery_count) over w_last_3 as deliveries_3m,
            sum(late_delivery_count) over w_last_3 as late_deliveries_3m,
            sum(complaint_count) over w_last_3 as complaints_3m,
            sum(complaint_count) over w_last_12 as complaints_12m,
            sum(inquiry_count) over w_last_3 as inquiries_3m,
            sum(first_response_minutes_sum) over w_last_3 as first_response_minutes_sum_3m,
            sum(first_response_count) over w_last_3 as first_responses_3m,
            sum(satisfaction_sum) over w_last_3 as satisfaction_sum_3m,
            sum(satisfaction_count) over w_last_3 as satisfaction_ratings_3m,
            category_count_3m as category_breadth_3m,
            sum(referral_count) over w_last_12 as referrals_12m,

            max(last_interaction_at) over w_to_date as last_interaction_at,
            max(last_order_at) over w_to_date as last_order_at,
            max(previous_interaction_at) over w_to_date as previous_interaction_at,
            max(last_churn_return_at) over w_to_date as last_churn_return_at,
            min(first_interaction_at) over w_following as next_interaction_at

        from customer_months
        window
            w_last_3 as (partition by customer_id order by month_start rows between 2 preceding and current row),
            w_last_12 as (partition by customer_id order by month_start rows between 11 preceding and current row),
            w_prior_2 as (partition by customer_id order by month_start rows between 2 preceding and 1 preceding),
            w_to_date as (partition by customer_id order by month_start rows between unbounded preceding and current row),
            w_following as (partition by customer_id order by month_start rows between 1 following and unbounded following)

    ),

    snapshot_rows as (

        select
            rolling.*,
            snapshot_dates.snapshot_date,
            snapshot_dates.label_window_end_date,
            snapshot_dates.is_label_window_complete,
            customers.signup_at,
            customers.signup_date,
            customers.region,
            case
                when customers.signup_date > bounds.data_first_day then customers.signup_date
                else bounds.data_first_day
            end as observed_since_date,
            {{ last_sign_of_life('rolling.last_interaction_at', 'customers.signup_at') }}
                as last_sign_of_life_at

        from rolling
        inner join snapshot_dates
            on rolling.month_start = snapshot_dates.feature_month
        inner join customers
            on rolling.customer_id = customers.customer_id
        cross join bounds
        where customers.signup_at < cast(snapshot_dates.snapshot_date as {{ dbt.type_timestamp() }})

    ),

    in_population as (

        select *
        from snapshot_rows
        where {{ 'not' if population == 'active' }} {{ is_churned_at('last_sign_of_life_at', 'snapshot_date') }}

    ),

    with_exposure as (

        select
            *,
            greatest(1, least(
                {{ days_between('month_start', 'snapshot_date') }},
                {{ days_between('observed_since_date', 'snapshot_date') }}
            )) / 7.0 as weeks_observed_1m,
            greatest(1, least(
                {{ days_between(add_months('snapshot_date', -3), 'snapshot_date') }},
                {{ days_between('observed_since_date', 'snapshot_date') }}
            )) / 7.0 as weeks_observed_3m,
            greatest(1, least(
                {{ days_between(add_months('snapshot_date', -12), 'snapshot_date') }},
                {{ days_between('observed_since_date', 'snapshot_date') }}
            )) / 7.0 as weeks_observed_12m

        from in_population

    ),

    with_tier as (

        select
            with_exposure.*,
            coalesce(membership_periods.tier, 'basic') as tier,
            coalesce(membership_periods.tier_rank, 0) as tier_rank,
            membership_periods.expires_at as tier_expires_at

        from with_exposure
        left join membership_periods
            on with_exposure.customer_id = membership_periods.customer_id
            and membership_periods.valid_from < cast(with_exposure.snapshot_date as {{ dbt.type_timestamp() }})
            and (
                membership_periods.valid_to is null
                or membership_periods.valid_to >= cast(with_exposure.snapshot_date as {{ dbt.type_timestamp() }})
            )

    ),

    features as (

        select
            customer_id,
            snapshot_date,
            cast({{ days_between('signup_date', 'snapshot_date') }} as {{ int_type }}) as tenure_days,
            cast({{ days_between('last_sign_of_life_at', 'snapshot_date') }} as {{ int_type }})
                as days_since_last_interaction,
            cast({{ days_between('last_order_at', 'snapshot_date') }} as {{ int_type }})
                as days_since_last_order,
            {{ safe_divide('visits_1m', 'weeks_observed_1m') }} as visits_per_week_1m,
            {{ safe_divide('visits_3m', 'weeks_observed_3m') }} as visits_per_week_3m,
            {{ safe_divide('visits_1m', 'visits_prior_2m / 2.0') }} as visit_trend,
            cast(recent_visits as {{ int_type }}) as recent_visits,
            {{ safe_divide('visits_12m', 'weeks_observed_12m') }} as visits_per_week_12m,
            cast({{ days_between('previous_interaction_at', 'last_interaction_at') }} as {{ int_type }})
                as silence_before_last_interaction_days,
            cast({{ days_between('last_churn_return_at', 'snapshot_date') }} as {{ int_type }})
                as days_since_churn_return,
            cast(active_days_1m as {{ int_type }}) as active_days_1m,
            cast(views_1m as {{ int_type }}) as views_1m,
            cast(reviews_3m as {{ int_type }}) as reviews_3m,
            cast(add_to_cart_1m as {{ int_type }}) as add_to_cart_1m,
            {{ safe_divide('add_to_cart_1m', 'visits_1m') }} as add_to_cart_per_visit_1m,
            {{ safe_divide('cart_without_order_days_1m', 'cart_days_1m') }} as cart_without_order_ratio_1m,
            cast(promo_views_1m as {{ int_type }}) as promo_views_1m,
            {{ safe_divide('promo_views_1m', 'visits_1m') }} as promo_views_per_visit_1m,
            cast(searches_1m as {{ int_type }}) as searches_1m,
            cast(competitor_searches_1m as {{ int_type }}) as competitor_searches_1m,
            {{ safe_divide('competitor_searches_3m', 'searches_3m') }} as competitor_search_share_3m,
            cast(orders_1m as {{ int_type }}) as orders_1m,
            cast(orders_3m as {{ int_type }}) as orders_3m,
            cast(orders_12m as {{ int_type }}) as orders_12m,
            cast(gmv_1m as {{ type_double() }}) as gmv_1m,
            cast(gmv_3m as {{ type_double() }}) as gmv_3m,
            cast(gmv_12m as {{ type_double() }}) as gmv_12m,
            {{ safe_divide('gmv_12m', 'paid_orders_12m') }} as aov_12m,
            {{ safe_divide('gmv_1m', 'gmv_prior_2m / 2.0') }} as spend_trend,
            {{ safe_divide('paid_discount_12m', 'gmv_12m + paid_discount_12m') }} as discount_share_12m,
            {{ safe_divide('coupon_orders_12m', 'orders_12m') }} as coupon_order_share_12m,
            cast(returns_12m as {{ int_type }}) as returns_12m,
            {{ safe_divide('delivery_days_sum_3m', 'deliveries_3m') }} as avg_delivery_days_3m,
            cast(late_deliveries_3m as {{ int_type }}) as late_deliveries_3m,
            cast(complaints_3m as {{ int_type }}) as complaints_3m,
            cast(complaints_12m as {{ int_type }}) as complaints_12m,
            cast(inquiries_3m as {{ int_type }}) as inquiries_3m,
            {{ safe_divide('first_response_minutes_sum_3m', 'first_responses_3m') }}
                as avg_first_response_minutes_3m,
            {{ safe_divide('satisfaction_sum_3m', 'satisfaction_ratings_3m') }} as avg_satisfaction_3m,
            cast(category_breadth_3m as {{ int_type }}) as category_breadth_3m,
            cast(tier_rank as {{ int_type }}) as tier_rank,
            cast({{ days_between('snapshot_date', 'tier_expires_at') }} as {{ int_type }}) as days_to_tier_expiry,
            cast(referrals_12m as {{ int_type }}) as referrals_12m,
            case
                when not is_label_window_complete then null
                when next_interaction_at is null
                    or next_interaction_at >= cast(label_window_end_date as {{ dbt.type_timestamp() }})
                    then 1
                else 0
            end as is_churned_label,
            tier,
            region

        from with_tier

    ),

    final as (

        select
            customer_id,
            snapshot_date,
            tenure_days,
            days_since_last_interaction,
            days_since_last_order,
            visits_per_week_1m,
            visits_per_week_3m,
            visit_trend,
            recent_visits,
            visits_per_week_12m,
            visits_per_week_12m * days_since_last_interaction / 7.0 as visit_overdue_ratio,
            silence_before_last_interaction_days,
            days_since_churn_return,
            active_days_1m,
            views_1m,
            reviews_3m,
            add_to_cart_1m,
            add_to_cart_per_visit_1m,
            cart_without_order_ratio_1m,
            promo_views_1m,
            promo_views_per_visit_1m,
            searches_1m,
            competitor_searches_1m,
            competitor_search_share_3m,
            orders_1m,
            orders_3m,
            orders_12m,
            gmv_1m,
            gmv_3m,
            gmv_12m,
            aov_12m,
            spend_trend,
            discount_share_12m,
            coupon_order_share_12m,
            returns_12m,
            avg_delivery_days_3m,
            late_deliveries_3m,
            complaints_3m,
            complaints_12m,
            inquiries_3m,
            avg_first_response_minutes_3m,
            avg_satisfaction_3m,
            category_breadth_3m,
            tier_rank,
            days_to_tier_expiry,
            referrals_12m,
            cast(is_churned_label as {{ int_type }}) as is_churned_label,
            tier,
            region

        from features

    )

    select * from final
{%- endmacro %}
