with

source as (

    select * from {{ source('raw', 'memberships') }}

),

renamed as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
        cast(tier as {{ dbt.type_string() }}) as tier,
        cast(expires_at as {{ dbt.type_timestamp() }}) as expires_at

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id, changed_at
            order by tier desc, expires_at desc
        ) as duplicate_rank

    from renamed

),

final as (

    select
        customer_id,
        changed_at,
        tier,
        expires_at

    from ranked
    where duplicate_rank = 1

)

select * from final
