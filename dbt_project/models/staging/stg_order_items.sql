with

source as (

    select * from {{ source('raw', 'order_items') }}

),

renamed as (

    select
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(line_number as {{ dbt.type_int() }}) as line_number,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        cast(price as {{ type_double() }}) as unit_price

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by order_id, line_number
            order by product_id, category, quantity, unit_price
        ) as duplicate_rank

    from renamed

),

final as (

    select
        order_id,
        line_number,
        product_id,
        category,
        quantity,
        unit_price

    from ranked
    where duplicate_rank = 1

)

select * from final
