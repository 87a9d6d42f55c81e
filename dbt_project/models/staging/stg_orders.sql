with

source as (

    select * from {{ source('raw', 'orders') }}

),

renamed as (

    select
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
        cast(gmv as {{ type_money() }}) as gmv,
        coalesce(cast(discount as {{ type_money() }}), 0) as discount_amount,
        cast(coupon_id as {{ dbt.type_string() }}) as coupon_id,
        coalesce(cast(status as {{ dbt.type_string() }}), 'paid') as order_status,
        cast(delivery_days as {{ dbt.type_int() }}) as delivery_days

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by order_id
            order by ordered_at desc, order_status, gmv desc
        ) as duplicate_rank

    from renamed

),

final as (

    select
        order_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        gmv,
        discount_amount,
        coupon_id,
        order_status,
        delivery_days

    from ranked
    where duplicate_rank = 1

)

select * from final
