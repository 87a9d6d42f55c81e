{#- Who could be won back: churned customers plus active ones whose churn score is above
    at_risk_score_threshold, with value, layer, churn type, the model's top reasons and, for
    customers already lapsed at the newest snapshot, their chance of returning on their own. -#}
with

lifecycle as (

    select * from {{ ref('customer_lifecycle') }}

),

customer_value as (

    select * from {{ ref('customer_value') }}

),

scores as (

    select * from {{ source('ml', 'churn_scores') }}

),

joined as (

    select
        lifecycle.customer_id,
        lifecycle.as_of_date,
        lifecycle.lifecycle_stage,
        lifecycle.churn_type,
        lifecycle.operating_layer,
        lifecycle.preferred_channel,
        lifecycle.top_category,
        customer_value.annual_gmv,
        customer_value.orders_12m,
        customer_value.pre_churn_monthly_gmv,
        customer_value.is_high_value,
        customer_value.is_frequent_buyer,
        scores.population as scored_population,
        scores.churn_probability,
        scores.return_probability,
        scores.risk_decile,
        coalesce(scores.reason_1, lifecycle.churn_type) as reason_1,
        scores.reason_2,
        scores.reason_3,
        scores.churn_cause

    from lifecycle
    inner join customer_value
        on lifecycle.customer_id = customer_value.customer_id
    left join scores
        on lifecycle.customer_id = scores.customer_id

),

final as (

    select
        *,
        case when lifecycle_stage = 'churned' then 'churned' else 'at_risk' end
            as candidate_reason

    from joined
    where lifecycle_stage = 'churned'
        or (
            scored_population = 'active'
            and churn_probability >= {{ var('at_risk_score_threshold') }}
        )

)

select * from final
