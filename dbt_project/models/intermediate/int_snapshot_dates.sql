{#- Snapshot dates: first days of months, every snapshot_cadence_months (anchored on the
    calendar: months whose number since year 0 is a multiple of the cadence), from the first
    month start whose previous month lies wholly inside the data, to the last month start no
    later than the day after the data's last day (every feature window before a snapshot is
    observed). -#}
with

bounds as (

    select * from {{ ref('int_data_bounds') }}

),

month_series as (

    select
        cast({{ timestamp_series(add_months('data_first_month', 1), add_days('data_last_day', 1)) }} as date)
            as snapshot_date

    from bounds

),

cadenced as (

    select month_series.snapshot_date
    from month_series
    cross join bounds
    where mod({{ month_number('month_series.snapshot_date') }}, {{ var('snapshot_cadence_months') }}) = 0
        and {{ add_months('month_series.snapshot_date', -1) }} >= bounds.data_first_day

),

final as (

    select
        cadenced.snapshot_date,
        {{ add_months('cadenced.snapshot_date', -1) }} as feature_month,
        {{ add_days('cadenced.snapshot_date', var('churn_window_days')) }} as label_window_end_date,
        case
            when {{ add_days('cadenced.snapshot_date', var('churn_window_days') ~ ' - 1') }}
                <= bounds.data_last_day
                then true
            else false
        end as is_label_window_complete

    from cadenced
    cross join bounds

)

select * from final
