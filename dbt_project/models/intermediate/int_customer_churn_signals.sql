{#- The churn-type signals of each customer (int_customer_recency's population), measured in
    windows that end at the customer's last interaction (the sign-up when none) - where the
    reason shows before a customer leaves:
    - service: complaints, late deliveries (known at delivery), returned orders, return tickets
      and slow first responses in the churn_signal_lookback_days days up to it;
    - competitor: competitor searches in the competitor_search_lookback_days days up to it;
    - price: promotion views in the churn_signal_lookback_days days up to it, and the discount
      share and coupon orders of paid orders in the 12 months up to it. -#}
{%- set int_type = dbt.type_int() -%}
with

recency as (

    select * from {{ ref('int_customer_recency') }}

),

customer_days as (

    select * from {{ ref('int_customer_days') }}

),

order_facts as (

    select * from {{ ref('int_order_facts') }}

),

ticket_facts as (

    select * from {{ ref('int_ticket_facts') }}

),

anchors as (

    select
        customer_id,
        as_of_date,
        cast({{ last_sign_of_life('last_interaction_at', 'signup_at') }} as date) as anchor_date

    from recency

),

event_signals as (

    select
        anchors.customer_id,
        sum(
            case
                when customer_days.activity_date
                    > {{ add_days('anchors.anchor_date', -1 * var('competitor_search_lookback_days')) }}
                    then customer_days.competitor_search_count
                else 0
            end
        ) as competitor_search_count,
        sum(
            case
                when customer_days.activity_date
                    > {{ add_days('anchors.anchor_date', -1 * var('churn_signal_lookback_days')) }}
                    then customer_days.promo_view_count
                else 0
            end
        ) as promo_view_count

    from anchors
    inner join customer_days
        on anchors.customer_id = customer_days.customer_id
        and customer_days.activity_date <= anchors.anchor_date
        and customer_days.activity_date
            > {{ add_days('anchors.anchor_date', -1 * [var('competitor_search_lookback_days'), var('churn_signal_lookback_days')] | max) }}
    group by anchors.customer_id

),

delivery_signals as (

    select
        anchors.customer_id,
        sum(case when order_facts.is_late_delivery then 1 else 0 end) as late_delivery_count,
        sum(case when order_facts.is_returned then 1 else 0 end) as returned_order_count

    from anchors
    inner join order_facts
        on anchors.customer_id = order_facts.customer_id
        and order_facts.outcome_known_date <= anchors.anchor_date
        and order_facts.outcome_known_date
            > {{ add_days('anchors.anchor_date', -1 * var('churn_signal_lookback_days')) }}
    group by anchors.customer_id

),

price_signals as (

    select
        anchors.customer_id,
        sum(order_facts.paid_gmv) as paid_gmv_12m,
        sum(order_facts.paid_discount_amount) as paid_discount_12m,
        sum(case when order_facts.is_coupon_order then 1 else 0 end) as coupon_order_count_12m

    from anchors
    inner join order_facts
        on anchors.customer_id = order_facts.customer_id
        and {{ in_trailing_12_months('order_facts.order_date', 'anchors.anchor_date') }}
    group by anchors.customer_id

),

ticket_signals as (

    select
        anchors.customer_id,
        sum(case when ticket_facts.is_complaint then 1 else 0 end) as complaint_count,
        sum(case when ticket_facts.is_return_ticket then 1 else 0 end) as return_ticket_count,
        sum(case when ticket_facts.is_slow_response then 1 else 0 end) as slow_response_count

    from anchors
    inner join ticket_facts
        on anchors.customer_id = ticket_facts.customer_id
        and ticket_facts.opened_date <= anchors.anchor_date
        and ticket_facts.opened_date
            > {{ add_days('anchors.anchor_date', -1 * var('churn_signal_lookback_days')) }}
    group by anchors.customer_id

),

final as (

    select
        anchors.customer_id,
        anchors.as_of_date,
        anchors.anchor_date as signal_anchor_date,
        cast(coalesce(ticket_signals.complaint_count, 0) as {{ int_type }}) as complaint_count,
        cast(coalesce(delivery_signals.late_delivery_count, 0) as {{ int_type }})
            as late_delivery_count,
        cast(coalesce(delivery_signals.returned_order_count, 0) as {{ int_type }})
            as returned_order_count,
        cast(coalesce(ticket_signals.return_ticket_count, 0) as {{ int_type }})
            as return_ticket_count,
        cast(coalesce(ticket_signals.slow_response_count, 0) as {{ int_type }})
            as slow_response_count,
        cast(coalesce(event_signals.competitor_search_count, 0) as {{ int_type }})
            as competitor_search_count,
        cast(coalesce(event_signals.promo_view_count, 0) as {{ int_type }}) as promo_view_count,
        cast(coalesce(price_signals.coupon_order_count_12m, 0) as {{ int_type }})
            as coupon_order_count_12m,
        {{ safe_divide('price_signals.paid_discount_12m', 'price_signals.paid_gmv_12m + price_signals.paid_discount_12m') }}
            as discount_share_12m

    from anchors
    left join event_signals
        on anchors.customer_id = event_signals.customer_id
    left join delivery_signals
        on anchors.customer_id = delivery_signals.customer_id
    left join price_signals
        on anchors.customer_id = price_signals.customer_id
    left join ticket_signals
        on anchors.customer_id = ticket_signals.customer_id

)

select * from final
