with

source as (

    select * from {{ source('raw', 'referrals') }}

),

renamed as (

    select
        cast(referred_customer_id as {{ dbt.type_string() }}) as referred_customer_id,
        cast(referrer_id as {{ dbt.type_string() }}) as referrer_customer_id,
        cast(referred_at as {{ dbt.type_timestamp() }}) as referred_at

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by referred_customer_id
            order by referred_at, referrer_customer_id
        ) as duplicate_rank

    from renamed

),

final as (

    select
        referred_customer_id,
        referrer_customer_id,
        referred_at

    from ranked
    where duplicate_rank = 1

)

select * from final
