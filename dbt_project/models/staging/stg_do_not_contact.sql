with

source as (

    select * from {{ source('raw', 'do_not_contact') }}

),

renamed as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(listed_at as {{ dbt.type_timestamp() }}) as listed_at,
        coalesce(cast(reason as {{ dbt.type_string() }}), 'unknown') as reason

    from source

),

ranked as (

    select
        *,
        row_number() over (partition by customer_id order by listed_at, reason) as duplicate_rank

    from renamed

),

final as (

    select
        customer_id,
        listed_at,
        reason

    from ranked
    where duplicate_rank = 1

)

select * from final
