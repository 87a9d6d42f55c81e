{#- The uplift model's training rows: one per randomized past assignment of a campaign that
    recall_uplift_campaigns marks used for training, whose first month has elapsed, with its
    outcome (first-month order, recall) and the customer's features taken point-in-time: the
    customer's row in customer_snapshots (active at the snapshot) or lapsed_customer_snapshots
    (lapsed at it) at the latest snapshot_date on or before assigned_at. A snapshot's features
    see only data strictly before its date, so nothing at or after the assignment leaks in.
    A customer with no snapshot on or before the assignment (signed up after the last one, or
    before the first snapshot date) is left out.
    The feature columns are the snapshot marts' columns (customer_snapshots.yml's shared list)
    less the key (customer_id, snapshot_date: here feature_snapshot_date) and is_churned_label,
    the churn label, which reads data after the snapshot; tests/dbt/test_uplift_training_rows.py
    keeps the two lists equal. -#}
with

outcomes as (

    select * from {{ ref('int_recall_outcomes') }}

),

uplift_campaigns as (

    select * from {{ ref('recall_uplift_campaigns') }}

),

active_snapshots as (

    select * from {{ ref('customer_snapshots') }}

),

lapsed_snapshots as (

    select * from {{ ref('lapsed_customer_snapshots') }}

),

snapshots as (

    select
        'active' as feature_population,
        active_snapshots.*

    from active_snapshots

    union all

    select
        'lapsed' as feature_population,
        lapsed_snapshots.*

    from lapsed_snapshots

),

training_assignments as (

    select outcomes.*
    from outcomes
    inner join uplift_campaigns
        on outcomes.campaign_id = uplift_campaigns.campaign_id
    where uplift_campaigns.is_used_for_training
        and outcomes.is_window_complete = 1

),

latest_snapshots as (

    select
        training_assignments.campaign_id,
        training_assignments.customer_id,
        max(snapshots.snapshot_date) as feature_snapshot_date

    from training_assignments
    inner join snapshots
        on training_assignments.customer_id = snapshots.customer_id
        and cast(snapshots.snapshot_date as {{ dbt.type_timestamp() }})
            <= training_assignments.assigned_at
    group by training_assignments.campaign_id, training_assignments.customer_id

),

final as (

    select
        training_assignments.campaign_id,
        training_assignments.customer_id,
        training_assignments.assigned_at,
        training_assignments.arm,
        training_assignments.variant,
        training_assignments.offer,
        training_assignments.channel,
        training_assignments.template,
        training_assignments.layer,
        training_assignments.churn_type,
        training_assignments.is_converted,
        training_assignments.is_recalled,
        snapshots.feature_population,
        latest_snapshots.feature_snapshot_date,
        cast({{ days_between('latest_snapshots.feature_snapshot_date',
                             'training_assignments.assigned_at') }} as {{ dbt.type_int() }})
            as feature_age_days,
        snapshots.tenure_days,
        snapshots.days_since_last_interaction,
        snapshots.days_since_last_order,
        snapshots.visits_per_week_1m,
        snapshots.visits_per_week_3m,
        snapshots.visit_trend,
        snapshots.recent_visits,
        snapshots.visits_per_week_12m,
        snapshots.visit_overdue_ratio,
        snapshots.silence_before_last_interaction_days,
        snapshots.days_since_churn_return,
        snapshots.active_days_1m,
        snapshots.views_1m,
        snapshots.reviews_3m,
        snapshots.add_to_cart_1m,
        snapshots.add_to_cart_per_visit_1m,
        snapshots.cart_without_order_ratio_1m,
        snapshots.promo_views_1m,
        snapshots.promo_views_per_visit_1m,
        snapshots.searches_1m,
        snapshots.competitor_searches_1m,
        snapshots.competitor_search_share_3m,
        snapshots.orders_1m,
        snapshots.orders_3m,
        snapshots.orders_12m,
        snapshots.gmv_1m,
        snapshots.gmv_3m,
        snapshots.gmv_12m,
        snapshots.aov_12m,
        snapshots.spend_trend,
        snapshots.discount_share_12m,
        snapshots.coupon_order_share_12m,
        snapshots.returns_12m,
        snapshots.avg_delivery_days_3m,
        snapshots.late_deliveries_3m,
        snapshots.complaints_3m,
        snapshots.complaints_12m,
        snapshots.inquiries_3m,
        snapshots.avg_first_response_minutes_3m,
        snapshots.avg_satisfaction_3m,
        snapshots.category_breadth_3m,
        snapshots.tier_rank,
        snapshots.days_to_tier_expiry,
        snapshots.referrals_12m,
        snapshots.tier,
        snapshots.region

    from training_assignments
    inner join latest_snapshots
        on training_assignments.campaign_id = latest_snapshots.campaign_id
        and training_assignments.customer_id = latest_snapshots.customer_id
    inner join snapshots
        on latest_snapshots.customer_id = snapshots.customer_id
        and latest_snapshots.feature_snapshot_date = snapshots.snapshot_date

)

select * from final
