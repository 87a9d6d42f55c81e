{#- Monthly churn and retention rates, overall and by operating layer (at the month's start),
    region and acquisition channel. Churn rate = customers active at the month's start who are
    confirmed churned at its end / customers active at its start; retention rate = 1 - churn
    rate. Only months wholly inside the data (and with the month before them observed) are
    reported. -#}
with

month_status as (

    select * from {{ ref('int_customer_month_status') }}

),

bounds as (

    select * from {{ ref('int_data_bounds') }}

),

observed_active as (

    select month_status.*
    from month_status
    cross join bounds
    where month_status.is_active_at_start
        and {{ add_months('month_status.month_start', -1) }} >= bounds.data_first_day
        and month_status.month_end <= bounds.data_last_day

),

{%- set dimensions = [
    ('overall', "'all'"),
    ('operating_layer', 'operating_layer_at_start'),
    ('region', 'region'),
    ('acquisition_channel', 'acquisition_channel'),
] %}

by_dimension as (

    {% for dimension, value_expr in dimensions %}
    select
        month_start,
        '{{ dimension }}' as dimension,
        cast({{ value_expr }} as {{ dbt.type_string() }}) as dimension_value,
        count(*) as active_at_start,
        sum(case when is_churned_at_end then 1 else 0 end) as churned_customers

    from observed_active
    group by month_start, cast({{ value_expr }} as {{ dbt.type_string() }})
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        month_start,
        dimension,
        dimension_value,
        cast(active_at_start as {{ dbt.type_int() }}) as active_at_start,
        cast(churned_customers as {{ dbt.type_int() }}) as churned_customers,
        {{ safe_divide('churned_customers', 'active_at_start') }} as churn_rate,
        1.0 - {{ safe_divide('churned_customers', 'active_at_start') }} as retention_rate

    from by_dimension

)

select * from final
