{#- The feature columns of the snapshot marts (customer_snapshots.yml's shared column list less
    the key customer_id, snapshot_date and the label is_churned_label, which reads data after
    the snapshot), in the marts' order: the columns the uplift model trains on
    (recall_uplift_training_rows) and scores candidates with (recall_candidate_features).
    tests/dbt/test_uplift_training_rows.py keeps the list equal to the marts' columns. -#}
{% macro snapshot_feature_columns() -%}
    {{ return([
        'tenure_days', 'days_since_last_interaction', 'days_since_last_order',
        'visits_per_week_1m', 'visits_per_week_3m', 'visit_trend', 'recent_visits',
        'visits_per_week_12m', 'visit_overdue_ratio', 'silence_before_last_interaction_days',
        'days_since_churn_return', 'active_days_1m', 'views_1m', 'reviews_3m', 'add_to_cart_1m',
        'add_to_cart_per_visit_1m', 'cart_without_order_ratio_1m', 'promo_views_1m',
        'promo_views_per_visit_1m', 'searches_1m', 'competitor_searches_1m',
        'competitor_search_share_3m', 'orders_1m', 'orders_3m', 'orders_12m', 'gmv_1m',
        'gmv_3m', 'gmv_12m', 'aov_12m', 'spend_trend', 'discount_share_12m',
        'coupon_order_share_12m', 'returns_12m', 'avg_delivery_days_3m', 'late_deliveries_3m',
        'complaints_3m', 'complaints_12m', 'inquiries_3m', 'avg_first_response_minutes_3m',
        'avg_satisfaction_3m', 'category_breadth_3m', 'tier_rank', 'days_to_tier_expiry',
        'referrals_12m', 'tier', 'region',
    ]) }}
{%- endmacro %}

{#- `alias.column` for every snapshot feature, comma-separated (a select list's tail). -#}
{% macro select_snapshot_features(alias) -%}
    {%- for column in snapshot_feature_columns() %}
        {{ alias }}.{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- Both snapshot marts stacked, each row with its feature_population: active (customer_snapshots)
    or lapsed (lapsed_customer_snapshots, customers already past churn_days at the date). -#}
{% macro stacked_snapshots() -%}
    select 'active' as feature_population, active_snapshots.*
    from {{ ref('customer_snapshots') }} as active_snapshots

    union all

    select 'lapsed' as feature_population, lapsed_snapshots.*
    from {{ ref('lapsed_customer_snapshots') }} as lapsed_snapshots
{%- endmacro %}
