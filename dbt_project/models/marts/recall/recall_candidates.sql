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
        l.customer_id,
        l.as_of_date,
        l.lifecycle_stage,
        l.churn_type,
        l.operating_layer,
        l.preferred_channel,
        l.top_category,
        v.annual_gmv,
        v.orders_12m,
        v.pre_churn_monthly_gmv,
        v.is_high_value,
        v.is_frequent_buyer,
        s.population as scored_population,
        s.churn_probability,
        s.return_probability,
        s.risk_decile,
        coalesce(s.reason_1, l.churn_type) as reason_1,
        s.reason_2,
        s.reason_3,
        s.churn_cause
    from lifecycle as l
    inner join customer_value as v on v.customer_id = l.customer_id
    left join scores as s on s.customer_id = l.customer_id
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
