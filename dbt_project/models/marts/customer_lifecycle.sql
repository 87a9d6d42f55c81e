{#- Lifecycle stage, churn type, operating layer and RFM of every customer signed up by the
    as-of day (var as_of_date, default the data's last day; data up to and including it).
    Stage precedence: churned > warning > hesitating > recovered > active.
    Churn-type precedence: service_dissatisfied > competitor_attracted > price_sensitive > silent.
    Operating-layer precedence: silent_churned > new > core > potential. -#}
{%- set int_type = dbt.type_int() -%}
with

customers as (

    select * from {{ ref('stg_customers') }}

),

recency as (

    select * from {{ ref('int_customer_recency') }}

),

signals as (

    select * from {{ ref('int_customer_churn_signals') }}

),

customer_value as (

    select * from {{ ref('customer_value') }}

),

order_facts as (

    select * from {{ ref('int_order_facts') }}

),

order_items as (

    select * from {{ ref('stg_order_items') }}

),

recency_days as (

    select
        customer_id,
        as_of_date,
        signup_at,
        last_interaction_at,
        last_visit_at,
        last_order_at,
        last_return_date,
        recent_visit_count,
        recent_add_to_cart_count,
        recent_order_count,
        {{ last_sign_of_life('last_interaction_at', 'signup_at') }} as last_sign_of_life_at,
        {{ days_between(last_sign_of_life('last_interaction_at', 'signup_at'), 'as_of_date') }}
            as days_since_last_interaction,
        {{ days_between(last_sign_of_life('last_visit_at', 'signup_at'), 'as_of_date') }}
            as days_since_last_visit,
        {{ days_between('last_order_at', 'as_of_date') }} as days_since_last_order,
        {{ days_between('signup_at', 'as_of_date') }} as tenure_days

    from recency

),

stages as (

    select
        *,
        case
            when {{ is_churned_at('last_sign_of_life_at', add_days('as_of_date', 1)) }} then 'churned'
            when days_since_last_visit >= {{ var('warning_days') }} then 'warning'
            when recent_visit_count > 0
                and recent_add_to_cart_count > 0
                and recent_order_count = 0
                then 'hesitating'
            when last_return_date is not null
                and {{ days_between('last_return_date', 'as_of_date') }} < {{ var('churn_days') }}
                then 'recovered'
            else 'active'
        end as lifecycle_stage

    from recency_days

),

churn_types as (

    select
        customer_id,
        case
            when complaint_count >= {{ var('complaint_threshold') }}
                or complaint_count + late_delivery_count + returned_order_count
                    + slow_response_count >= {{ var('service_incident_threshold') }}
                then 'service_dissatisfied'
            when competitor_search_count >= 1 then 'competitor_attracted'
            when discount_share_12m >= {{ var('price_discount_share') }}
                or (coupon_order_count_12m >= 1 and promo_view_count >= 1)
                then 'price_sensitive'
            else 'silent'
        end as churn_type

    from signals

),

paid_categories_12m as (

    select
        order_facts.customer_id,
        order_items.category,
        sum(order_items.quantity) as item_quantity,
        sum(order_items.quantity * order_items.unit_price) as item_amount

    from order_items
    inner join order_facts
        on order_items.order_id = order_facts.order_id
    inner join recency
        on order_facts.customer_id = recency.customer_id
    where order_facts.is_paid
        and {{ in_trailing_12_months('order_facts.order_date', 'recency.as_of_date') }}
    group by order_facts.customer_id, order_items.category

),

top_categories as (

    select
        customer_id,
        category as top_category

    from (
        select
            customer_id,
            category,
            row_number() over (
                partition by customer_id
                order by item_quantity desc, item_amount desc, category
            ) as category_rank
        from paid_categories_12m
    ) as ranked
    where category_rank = 1

),

rfm_ranks as (

    select
        customer_value.customer_id,
        percent_rank() over (order by recency_days.days_since_last_order desc) as recency_rank,
        percent_rank() over (order by customer_value.orders_12m) as frequency_rank,
        percent_rank() over (order by customer_value.annual_gmv) as monetary_rank

    from customer_value
    inner join recency_days
        on customer_value.customer_id = recency_days.customer_id
    where customer_value.has_orders

),

rfm_scores as (

    select
        customer_id,
        {{ quintile_score('recency_rank') }} as recency_score,
        {{ quintile_score('frequency_rank') }} as frequency_score,
        {{ quintile_score('monetary_rank') }} as monetary_score

    from rfm_ranks

),

joined as (

    select
        stages.customer_id,
        stages.as_of_date,
        stages.last_interaction_at,
        stages.last_visit_at,
        stages.last_order_at,
        cast(stages.days_since_last_interaction as {{ int_type }}) as days_since_last_interaction,
        cast(stages.days_since_last_visit as {{ int_type }}) as days_since_last_visit,
        cast(stages.days_since_last_order as {{ int_type }}) as days_since_last_order,
        stages.lifecycle_stage,
        churn_types.churn_type,
        {{ operating_layer('stages.tenure_days', 'customer_value.is_high_value',
                           is_churned_expr="stages.lifecycle_stage = 'churned'") }}
            as operating_layer,
        coalesce(rfm_scores.recency_score, 1) as recency_score,
        coalesce(rfm_scores.frequency_score, 1) as frequency_score,
        coalesce(rfm_scores.monetary_score, 1) as monetary_score,
        customers.preferred_channel,
        customers.region,
        customers.acquisition_channel,
        top_categories.top_category,
        customer_value.tier

    from stages
    inner join customers
        on stages.customer_id = customers.customer_id
    inner join churn_types
        on stages.customer_id = churn_types.customer_id
    inner join customer_value
        on stages.customer_id = customer_value.customer_id
    left join rfm_scores
        on stages.customer_id = rfm_scores.customer_id
    left join top_categories
        on stages.customer_id = top_categories.customer_id

),

final as (

    select
        customer_id,
        as_of_date,
        last_interaction_at,
        last_visit_at,
        last_order_at,
        days_since_last_interaction,
        days_since_last_visit,
        days_since_last_order,
        lifecycle_stage,
        churn_type,
        operating_layer,
        cast(recency_score as {{ int_type }}) as recency_score,
        cast(frequency_score as {{ int_type }}) as frequency_score,
        cast(monetary_score as {{ int_type }}) as monetary_score,
        cast(recency_score + frequency_score + monetary_score as {{ int_type }}) as rfm_score,
        {{ dbt.concat([dbt.cast('recency_score', dbt.type_string()), dbt.cast('frequency_score', dbt.type_string()), dbt.cast('monetary_score', dbt.type_string())]) }}
            as rfm_segment,
        preferred_channel,
        region,
        acquisition_channel,
        top_category,
        tier

    from joined

)

select * from final
