{#- Monthly churn rate by churn type, for the report's churn trend: customers active at the
    month's start and confirmed churned at its end, by their churn type as of the data's last
    day (customer_lifecycle), over all customers active at the month's start - so the types of
    a month add up to churn_rates' overall rate. Same months as churn_rates (wholly inside the
    data, with the month before them observed). -#}
with

month_status as (

    select * from {{ ref('int_customer_month_status') }}

),

bounds as (

    select * from {{ ref('int_data_bounds') }}

),

lifecycle as (

    select * from {{ ref('customer_lifecycle') }}

),

observed_active as (

    select
        month_status.month_start,
        month_status.is_churned_at_end,
        lifecycle.churn_type

    from month_status
    cross join bounds
    left join lifecycle
        on month_status.customer_id = lifecycle.customer_id
    where month_status.is_active_at_start
        and {{ add_months('month_status.month_start', -1) }} >= bounds.data_first_day
        and month_status.month_end <= bounds.data_last_day

),

active_at_start as (

    select
        month_start,
        count(*) as active_at_start

    from observed_active
    group by month_start

),

churn_types as (

    select distinct churn_type from observed_active where churn_type is not null

),

churned as (

    select
        month_start,
        churn_type,
        count(*) as churned_customers

    from observed_active
    where is_churned_at_end
    group by month_start, churn_type

),

final as (

    select
        active_at_start.month_start,
        churn_types.churn_type,
        active_at_start.active_at_start,
        coalesce(churned.churned_customers, 0) as churned_customers,
        coalesce(churned.churned_customers, 0) * 1.0 / active_at_start.active_at_start
            as churn_rate

    from active_at_start
    cross join churn_types
    left join churned
        on active_at_start.month_start = churned.month_start
        and churn_types.churn_type = churned.churn_type

)

select * from final
