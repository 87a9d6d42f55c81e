with

source as (

    select * from {{ source('raw', 'customers') }}

),

renamed as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(signup_at as {{ dbt.type_timestamp() }}) as signup_at,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
        cast(preferred_channel as {{ dbt.type_string() }}) as preferred_channel

    from source

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

)

select * from final
