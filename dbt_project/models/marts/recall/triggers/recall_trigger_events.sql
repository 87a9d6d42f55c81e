{#- The events that fire the plan's trigger campaigns (var recall_triggers) as of the as-of day
    (int_data_bounds.as_of_date: var as_of_date, default the data's last day): one row per
    trigger x customer x event. Each event has a key that stays the same while it lasts, so a
    trigger fires once per customer and event however often it runs
    (sources/trigger_register.py keeps the keys that fired):
    - membership_expiring: the customer's current membership (int_membership_periods, as in
      customer_value) expires within `days` days after the as-of day: as-of < expiry day <=
      as-of + days. Key: the expiry day.
    - warning_stage: the customer is in the warning stage of customer_lifecycle. Key: the day
      the customer entered it (the last visit's day + warning_days).
    - overdue: a customer with orders on at least 3 days, not churned, whose days since the last
      order day exceed `factor` x the mean gap between order days ((last - first order day) /
      (order days - 1)), all up to the as-of day. Key: the last order day.
    - competitor_promotion: a market event of kind competitor_promotion runs on the as-of day
      (starts before the day's end, ends after its start) x the competitor-attracted customers
      who are at risk: in the warning or churned stage, or a recall candidate at risk by their
      churn score (recall_candidates). Key: the market_event_id.
    fired_on is the as-of day; the trigger's batch starts the day after. layer is the recall
    pyramid layer (macro recall_layer). -#}
with

triggers as (

    {{ trigger_rows() }}

),

bounds as (

    select * from {{ ref('int_data_bounds') }}

),

lifecycle as (

    select * from {{ ref('customer_lifecycle') }}

),

customer_value as (

    select * from {{ ref('customer_value') }}

),

membership_periods as (

    select * from {{ ref('int_membership_periods') }}

),

customer_days as (

    select * from {{ ref('int_customer_days') }}

),

market_events as (

    select * from {{ ref('stg_market_events') }}

),

candidates as (

    select * from {{ ref('recall_candidates') }}

),

current_memberships as (

    select
        membership_periods.customer_id,
        cast(membership_periods.expires_at as date) as expires_on,
        bounds.as_of_date

    from membership_periods
    cross join bounds
    where cast(membership_periods.valid_from as date) <= bounds.as_of_date
        and (
            membership_periods.valid_to is null
            or cast(membership_periods.valid_to as date) > bounds.as_of_date
        )
        and membership_periods.expires_at is not null

),

membership_expiring as (

    select
        triggers.campaign_id,
        current_memberships.customer_id,
        cast(current_memberships.expires_on as {{ dbt.type_string() }}) as event_key

    from triggers
    inner join current_memberships
        on triggers.event = 'membership_expiring'
    where current_memberships.expires_on > current_memberships.as_of_date
        and current_memberships.expires_on
            <= {{ add_days('current_memberships.as_of_date', 'triggers.days') }}

),

warning_stage as (

    select
        triggers.campaign_id,
        lifecycle.customer_id,
        cast(
            {{ add_days('lifecycle.as_of_date',
                        var('warning_days') ~ ' - lifecycle.days_since_last_visit') }}
            as {{ dbt.type_string() }}
        ) as event_key

    from triggers
    inner join lifecycle
        on triggers.event = 'warning_stage'
    where lifecycle.lifecycle_stage = 'warning'

),

order_days as (

    select
        customer_days.customer_id,
        count(*) as order_day_count,
        min(customer_days.activity_date) as first_order_date,
        max(customer_days.activity_date) as last_order_date,
        max(bounds.as_of_date) as as_of_date

    from customer_days
    cross join bounds
    where customer_days.order_count > 0
        and customer_days.activity_date <= bounds.as_of_date
    group by customer_days.customer_id

),

purchase_cycles as (

    select
        customer_id,
        last_order_date,
        {{ days_between('last_order_date', 'as_of_date') }} as days_since_last_order,
        {{ safe_divide(days_between('first_order_date', 'last_order_date'),
                       'order_day_count - 1') }} as mean_gap_days

    from order_days
    where order_day_count >= 3

),

overdue as (

    select
        triggers.campaign_id,
        purchase_cycles.customer_id,
        cast(purchase_cycles.last_order_date as {{ dbt.type_string() }}) as event_key

    from triggers
    inner join purchase_cycles
        on triggers.event = 'overdue'
    inner join lifecycle
        on purchase_cycles.customer_id = lifecycle.customer_id
    where lifecycle.lifecycle_stage <> 'churned'
        and purchase_cycles.days_since_last_order
            > triggers.factor * purchase_cycles.mean_gap_days

),

running_promotions as (

    select market_events.market_event_id

    from market_events
    cross join bounds
    where market_events.kind = 'competitor_promotion'
        and market_events.started_at
            < cast({{ add_days('bounds.as_of_date', 1) }} as {{ dbt.type_timestamp() }})
        and market_events.ends_at > cast(bounds.as_of_date as {{ dbt.type_timestamp() }})

),

competitor_prospects as (

    select lifecycle.customer_id

    from lifecycle
    left join candidates
        on lifecycle.customer_id = candidates.customer_id
    where lifecycle.churn_type = 'competitor_attracted'
        and (
            lifecycle.lifecycle_stage in ('warning', 'churned')
            or candidates.candidate_reason = 'at_risk'
        )

),

competitor_promotion as (

    select
        triggers.campaign_id,
        competitor_prospects.customer_id,
        running_promotions.market_event_id as event_key

    from triggers
    cross join running_promotions
    cross join competitor_prospects
    where triggers.event = 'competitor_promotion'

),

fired as (

    select campaign_id, customer_id, 'membership_expiring' as event, event_key
    from membership_expiring
    union all
    select campaign_id, customer_id, 'warning_stage' as event, event_key
    from warning_stage
    union all
    select campaign_id, customer_id, 'overdue' as event, event_key
    from overdue
    union all
    select campaign_id, customer_id, 'competitor_promotion' as event, event_key
    from competitor_promotion

),

final as (

    select
        fired.campaign_id,
        fired.customer_id,
        fired.event,
        fired.event_key,
        bounds.as_of_date as fired_on,
        {{ recall_layer('customer_value.is_high_value', 'customer_value.is_frequent_buyer') }}
            as layer,
        lifecycle.churn_type,
        lifecycle.preferred_channel

    from fired
    cross join bounds
    inner join lifecycle
        on fired.customer_id = lifecycle.customer_id
    inner join customer_value
        on fired.customer_id = customer_value.customer_id

)

select * from final
