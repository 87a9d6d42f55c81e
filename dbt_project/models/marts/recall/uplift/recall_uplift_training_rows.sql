{#- The uplift model's training rows: one per randomized past assignment of a campaign that
    recall_uplift_campaigns marks used for training, whose first month has elapsed, with its
    outcome (first-month order, recall) and the customer's features taken point-in-time: the
    customer's row in customer_snapshots (active at the snapshot) or lapsed_customer_snapshots
    (lapsed at it) at the latest snapshot_date on or before assigned_at. A snapshot's features
    see only data strictly before its date, so nothing at or after the assignment leaks in.
    A customer with no snapshot on or before the assignment (signed up after the last one, or
    before the first snapshot date) is left out.
    The feature columns are macro snapshot_feature_columns (macros/snapshot_features.sql). -#}
with

outcomes as (

    select * from {{ ref('int_recall_outcomes') }}

),

uplift_campaigns as (

    select * from {{ ref('recall_uplift_campaigns') }}

),

snapshots as (

    {{ stacked_snapshots() }}

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
        {{ select_snapshot_features('snapshots') }}

    from training_assignments
    inner join latest_snapshots
        on training_assignments.campaign_id = latest_snapshots.campaign_id
        and training_assignments.customer_id = latest_snapshots.customer_id
    inner join snapshots
        on latest_snapshots.customer_id = snapshots.customer_id
        and latest_snapshots.feature_snapshot_date = snapshots.snapshot_date

)

select * from final
