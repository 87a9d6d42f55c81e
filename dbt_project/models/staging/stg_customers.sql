with

source as (

    select * from {{ source('raw', 'customers') }}

),

first_orders as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        min(cast(ordered_at as {{ dbt.type_timestamp() }})) as first_order_at

    from {{ source('raw', 'orders') }}
    group by 1

),

renamed as (

    select
        cast(source.customer_id as {{ dbt.type_string() }}) as customer_id,
        coalesce(
            cast(source.signup_at as {{ dbt.type_timestamp() }}), first_orders.first_order_at
        ) as signup_at,
        coalesce(cast(source.region as {{ dbt.type_string() }}), 'unknown') as region,
        coalesce(cast(source.acquisition_channel as {{ dbt.type_string() }}), 'unknown')
            as acquisition_channel,
        cast(source.preferred_channel as {{ dbt.type_string() }}) as preferred_channel

    from source
    left join first_orders
        on cast(source.customer_id as {{ dbt.type_string() }}) = first_orders.customer_id

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by signup_at, region, acquisition_channel, preferred_channel
        ) as duplicate_rank

    from renamed

),

final as (

    select
        customer_id,
        signup_at,
        cast(signup_at as date) as signup_date,
        region,
        acquisition_channel,
        preferred_channel

    from ranked
    where duplicate_rank = 1
        and signup_at is not null

)

select * from final
