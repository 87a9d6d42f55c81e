{#- Every scoring run (ml.churn_scores.scored_at) of the active customers: their churn
    probability and whether it was at least at_risk_score_threshold (at risk). Incremental: a
    scoring run is recorded once, at the first build after it; later builds on the same scores
    add nothing, so the "since the last run" comparison of recall_early_warning is stable across
    rebuilds. A full refresh forgets the history (the next list then holds every at-risk
    customer). -#}
{{ config(materialized='incremental', incremental_strategy='append') }}

with

scores as (

    select * from {{ source('ml', 'churn_scores') }}

),

active as (

    select
        scored_at,
        snapshot_date,
        customer_id,
        churn_probability,
        churn_probability >= {{ var('at_risk_score_threshold') }} as is_at_risk

    from scores
    where population = 'active'

),

final as (

    select * from active
    {%- if is_incremental() %}
    where scored_at > (select coalesce(max(scored_at), cast('1900-01-01' as timestamp)) from {{ this }})
    {%- endif %}

)

select * from final
