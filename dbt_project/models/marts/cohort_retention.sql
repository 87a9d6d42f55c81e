{#- Acquisition cohort (sign-up month) x period grain x period offset retention: the share of
    the cohort's customers with any interaction in the period. Periods count from each
    customer's sign-up day: day k = the k-th day after it (k = 1, 7, 30), week k = days
    [7k, 7k + 7) after it (k = 1..12), month k = the k-th calendar month after the sign-up
    month (k = 1..12). A customer counts only once the period has fully elapsed
    (eligible_customers); cohorts that signed up before the data's first day are left out. -#}
{%- set int_type = dbt.type_int() -%}
with

customers as (

    select * from {{ ref('stg_customers') }}

),

customer_days as (

    select * from {{ ref('int_customer_days') }}

),

bounds as (

    select * from {{ ref('int_data_bounds') }}

),

periods as (

    {%- set periods = [] -%}
    {%- for k in [1, 7, 30] %}{% do periods.append(('day', k)) %}{% endfor -%}
    {%- for k in range(1, 13) %}{% do periods.append(('week', k)) %}{% endfor -%}
    {%- for k in range(1, 13) %}{% do periods.append(('month', k)) %}{% endfor -%}
    {% for grain, k in periods %}
    select '{{ grain }}' as period_grain, {{ k }} as period_offset
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

cohort_customers as (

    select
        customers.customer_id,
        customers.signup_date,
        {{ month_start('customers.signup_date') }} as cohort_month

    from customers
    cross join bounds
    where customers.signup_date >= bounds.data_first_day
        and customers.signup_date <= bounds.data_last_day

),

customer_periods as (

    select
        cohort_customers.customer_id,
        cohort_customers.cohort_month,
        periods.period_grain,
        periods.period_offset,
        case periods.period_grain
            when 'day' then {{ add_days('cohort_customers.signup_date', 'periods.period_offset + 1') }}
            when 'week' then {{ add_days('cohort_customers.signup_date', '7 * periods.period_offset + 7') }}
            else {{ add_months('cohort_customers.cohort_month', 'periods.period_offset + 1') }}
        end as period_end_date

    from cohort_customers
    cross join periods

),

eligible_periods as (

    select customer_periods.*
    from customer_periods
    cross join bounds
    where customer_periods.period_end_date <= {{ add_days('bounds.data_last_day', 1) }}

),

activity_offsets as (

    select
        cohort_customers.customer_id,
        {{ days_between('cohort_customers.signup_date', 'customer_days.activity_date') }} as day_offset,
        {{ month_number('customer_days.activity_date') }}
            - {{ month_number('cohort_customers.cohort_month') }} as month_offset

    from customer_days
    inner join cohort_customers
        on customer_days.customer_id = cohort_customers.customer_id
    where customer_days.activity_date > cohort_customers.signup_date

),

retained_periods as (

    select distinct customer_id, 'day' as period_grain, day_offset as period_offset
    from activity_offsets
    where day_offset in (1, 7, 30)

    union

    select distinct customer_id, 'week' as period_grain, cast(floor(day_offset / 7.0) as {{ int_type }}) as period_offset
    from activity_offsets
    where day_offset >= 7 and day_offset < 91

    union

    select distinct customer_id, 'month' as period_grain, month_offset as period_offset
    from activity_offsets
    where month_offset between 1 and 12

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_size

    from cohort_customers
    group by cohort_month

),

cohort_periods as (

    select
        eligible_periods.cohort_month,
        eligible_periods.period_grain,
        eligible_periods.period_offset,
        count(*) as eligible_customers,
        sum(case when retained_periods.customer_id is not null then 1 else 0 end)
            as retained_customers

    from eligible_periods
    left join retained_periods
        on eligible_periods.customer_id = retained_periods.customer_id
        and eligible_periods.period_grain = retained_periods.period_grain
        and eligible_periods.period_offset = retained_periods.period_offset
    group by
        eligible_periods.cohort_month,
        eligible_periods.period_grain,
        eligible_periods.period_offset

),

final as (

    select
        cohort_periods.cohort_month,
        cohort_periods.period_grain,
        cast(cohort_periods.period_offset as {{ int_type }}) as period_offset,
        cast(cohort_sizes.cohort_size as {{ int_type }}) as cohort_size,
        cast(cohort_periods.eligible_customers as {{ int_type }}) as eligible_customers,
        cast(cohort_periods.retained_customers as {{ int_type }}) as retained_customers,
        {{ safe_divide('cohort_periods.retained_customers', 'cohort_periods.eligible_customers') }}
            as retention_rate

    from cohort_periods
    inner join cohort_sizes
        on cohort_periods.cohort_month = cohort_sizes.cohort_month

)

select * from final
