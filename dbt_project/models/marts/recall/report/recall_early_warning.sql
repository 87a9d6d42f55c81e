{#- The early-warning list: customers at risk in the newest scoring run (active, churn
    probability at least at_risk_score_threshold) who were not at risk in the run before it
    (recall_early_warning_history); on the first recorded run every at-risk customer is new.
    Reasons and the suggested action are in plain words for the marketing report. -#}
with

scores as (

    select * from {{ source('ml', 'churn_scores') }}

),

history as (

    select * from {{ ref('recall_early_warning_history') }}

),

lifecycle as (

    select * from {{ ref('customer_lifecycle') }}

),

customer_value as (

    select * from {{ ref('customer_value') }}

),

current_run as (

    select max(scored_at) as scored_at from scores where population = 'active'

),

previous_run as (

    select max(history.scored_at) as scored_at
    from history
    cross join current_run
    where history.scored_at < current_run.scored_at

),

previously_at_risk as (

    select history.customer_id
    from history
    inner join previous_run
        on history.scored_at = previous_run.scored_at
    where history.is_at_risk

),

at_risk as (

    select scores.*
    from scores
    inner join current_run
        on scores.scored_at = current_run.scored_at
    where scores.population = 'active'
        and scores.churn_probability >= {{ var('at_risk_score_threshold') }}

),

newly_at_risk as (

    select at_risk.*
    from at_risk
    left join previously_at_risk
        on at_risk.customer_id = previously_at_risk.customer_id
    where previously_at_risk.customer_id is null

),

{%- set reason_words = {
    'price': 'reacts to prices and discounts',
    'service': 'had service problems',
    'competitor': 'looks at competitors',
    'activity': 'visits less often',
    'value': 'spends less than before',
} %}
{%- set actions = {
    'price': 'send a coupon',
    'service': 'service recovery: fix the problem',
    'competitor': 'offer a price match',
    'activity': 'send personalised content',
} %}

final as (

    select
        newly_at_risk.customer_id,
        newly_at_risk.churn_probability,
        lifecycle.lifecycle_stage,
        lifecycle.operating_layer,
        {%- for i in [1, 2, 3] %}
        case newly_at_risk.reason_{{ i }}
            {%- for code, words in reason_words.items() %}
            when '{{ code }}' then '{{ words }}'
            {%- endfor %}
            else newly_at_risk.reason_{{ i }}
        end as reason_{{ i }},
        {%- endfor %}
        customer_value.annual_gmv,
        customer_value.is_high_value,
        case newly_at_risk.churn_cause
            {%- for code, words in actions.items() %}
            when '{{ code }}' then '{{ words }}'
            {%- endfor %}
            else 'send personalised content'
        end
        || case when customer_value.is_high_value then ' (agent call)' else '' end
            as suggested_action,
        newly_at_risk.scored_at,
        previous_run.scored_at as previous_scored_at

    from newly_at_risk
    cross join previous_run
    left join lifecycle
        on newly_at_risk.customer_id = lifecycle.customer_id
    left join customer_value
        on newly_at_risk.customer_id = customer_value.customer_id

)

select * from final
