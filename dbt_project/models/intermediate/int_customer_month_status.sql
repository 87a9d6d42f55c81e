{#- Customer x month status for churn rates: active at the month's start (signed up before it
    and an interaction, or the sign-up, within churn_days before it), confirmed churned at its
    end (no interaction for churn_days days or more as of the month's last day), and the
    operating layer at the start (new / core / potential; core = the high-value double filter
    on 12-month paid GMV and paid orders before the month, among customers with any order). -#}
with

customer_months as (

    select * from {{ ref('int_customer_months') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

),

cumulative as (

    select
        customer_id,
        month_start,
        {{ add_days(add_months('month_start', 1), -1) }} as month_end,
        max(last_interaction_at) over w_before as last_interaction_before_at,
        max(last_interaction_at) over w_through as last_interaction_through_at,
        sum(order_count) over w_before as orders_before,
        sum(paid_gmv) over w_prior_12 as paid_gmv_prior_12m,
        sum(paid_order_count) over w_prior_12 as paid_orders_prior_12m

    from customer_months
    window
        w_before as (partition by customer_id order by month_start rows between unbounded preceding and 1 preceding),
        w_through as (partition by customer_id order by month_start rows between unbounded preceding and current row),
        w_prior_12 as (partition by customer_id order by month_start rows between 12 preceding and 1 preceding)

),

with_customer as (

    select
        cumulative.*,
        customers.signup_at,
        customers.region,
        customers.acquisition_channel,
        {{ last_sign_of_life('cumulative.last_interaction_before_at', 'customers.signup_at') }}
            as last_sign_of_life_before_at,
        {{ last_sign_of_life('cumulative.last_interaction_through_at', 'customers.signup_at') }}
            as last_sign_of_life_through_at

    from cumulative
    inner join customers
        on cumulative.customer_id = customers.customer_id

),

value_percentiles as (

    select
        customer_id,
        month_start,
        {{ value_percentile('coalesce(paid_gmv_prior_12m, 0)', partition_by='month_start') }}
            as gmv_percentile,
        {{ value_percentile('coalesce(paid_orders_prior_12m, 0)', partition_by='month_start') }}
            as frequency_percentile

    from with_customer
    where orders_before > 0

),

final as (

    select
        with_customer.customer_id,
        with_customer.month_start,
        with_customer.month_end,
        with_customer.region,
        with_customer.acquisition_channel,
        case
            when with_customer.signup_at < cast(with_customer.month_start as {{ dbt.type_timestamp() }})
                and not {{ is_churned_at('with_customer.last_sign_of_life_before_at', 'with_customer.month_start') }}
                then true
            else false
        end as is_active_at_start,
        {{ is_churned_at('with_customer.last_sign_of_life_through_at',
                         add_days('with_customer.month_end', 1)) }} as is_churned_at_end,
        {{ operating_layer(
            days_between('with_customer.signup_at', 'with_customer.month_start'),
            is_high_value('value_percentiles.gmv_percentile', 'value_percentiles.frequency_percentile')
        ) }} as operating_layer_at_start

    from with_customer
    left join value_percentiles
        on with_customer.customer_id = value_percentiles.customer_id
        and with_customer.month_start = value_percentiles.month_start

)

select * from final
