{#- Customer x month x category bought (lines of paid orders): units and amount. -#}
with

order_facts as (

    select * from {{ ref('int_order_facts') }}

),

order_items as (

    select * from {{ ref('stg_order_items') }}

),

paid_lines as (

    select
        order_facts.customer_id,
        order_facts.order_month,
        order_items.category,
        order_items.quantity,
        order_items.quantity * order_items.unit_price as line_amount

    from order_items
    inner join order_facts
        on order_items.order_id = order_facts.order_id
    where order_facts.is_paid

),

final as (

    select
        customer_id,
        order_month as month_start,
        category,
        cast(sum(quantity) as {{ dbt.type_int() }}) as item_quantity,
        sum(line_amount) as item_amount

    from paid_lines
    group by customer_id, order_month, category

)

select * from final
