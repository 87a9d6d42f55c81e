{#- Every recall candidate with the features of its newest snapshot: the rows the recall_targeting
    asset scores with the recall_uplift champion. The features are the candidate's row at the
    newest snapshot_date in customer_snapshots (active then) or lapsed_customer_snapshots
    (already lapsed), the same columns and populations as the uplift model's training rows
    (macros/snapshot_features.sql). A candidate with no row at that date (signed up since) keeps
    null features and feature_population; recall_targeting leaves it out and counts it. -#}
with

candidates as (

    select * from {{ ref('recall_candidates') }}

),

snapshots as (

    {{ stacked_snapshots() }}

),

newest_date as (

    select max(snapshot_date) as snapshot_date from snapshots

),

newest_snapshots as (

    select snapshots.*
    from snapshots
    inner join newest_date
        on snapshots.snapshot_date = newest_date.snapshot_date

),

final as (

    select
        candidates.customer_id,
        {{ recall_layer('candidates.is_high_value', 'candidates.is_frequent_buyer') }} as layer,
        candidates.churn_type,
        candidates.candidate_reason,
        candidates.pre_churn_monthly_gmv,
        newest_snapshots.feature_population,
        newest_snapshots.snapshot_date as feature_snapshot_date,
        {{ select_snapshot_features('newest_snapshots') }}

    from candidates
    left join newest_snapshots
        on candidates.customer_id = newest_snapshots.customer_id

)

select * from final
