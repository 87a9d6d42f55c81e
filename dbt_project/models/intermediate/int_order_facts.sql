{#- One row per order with the flags and amounts the marts share: paid GMV, discount, coupon,
    return, late delivery (delivery_days > late_delivery_days), the day the delivery outcome is
    known, and the order's lines. -#}
with

orders as (

    select * from {{ ref('stg_orders') }}

),

order_items as (

    select * from {{ ref('stg_order_items') }}

),

order_lines as (

    select
        order_id,
        count(*) as line_count,
        sum(quantity) as item_quantity,
        count(distinct category) as category_count

    from order_items
    group by order_id

),

flagged as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.order_date,
        {{ month_start('orders.order_date') }} as order_month,
        orders.order_status,
        orders.gmv,
        orders.discount_amount,
        orders.coupon_id,
        orders.delivery_days,
        case when orders.order_status = 'paid' then true else false end as is_paid,
        case when orders.order_status = 'returned' then true else false end as is_returned,
        case when orders.order_status = 'cancelled' then true else false end as is_cancelled,
        case when orders.coupon_id is not null then true else false end as is_coupon_order,
        case
            when orders.delivery_days > {{ var('late_delivery_days') }} then true
            else false
        end as is_late_delivery,
        case
            when orders.delivery_days is not null
                then {{ add_days('orders.order_date', 'orders.delivery_days') }}
            else orders.order_date
        end as outcome_known_date,
        cast(coalesce(order_lines.line_count, 0) as {{ dbt.type_int() }}) as line_count,
        cast(coalesce(order_lines.item_quantity, 0) as {{ dbt.type_int() }}) as item_quantity,
        cast(coalesce(order_lines.category_count, 0) as {{ dbt.type_int() }}) as category_count

    from orders
    left join order_lines
        on orders.order_id = order_lines.order_id

),

final as (

    select
        *,
        case when is_paid then gmv else 0 end as paid_gmv,
        case when is_paid then discount_amount else 0 end as paid_discount_amount,
        {{ month_start('outcome_known_date') }} as outcome_known_month

    from flagged

)

select * from final
