with

source as (

    select * from {{ source('raw', 'recall_touches') }}

),

renamed as (

    select
        cast(touch_id as {{ dbt.type_string() }}) as touch_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(sent_at as {{ dbt.type_timestamp() }}) as sent_at,
        cast(delivered as {{ dbt.type_boolean() }}) as is_delivered,
        cast(opened_at as {{ dbt.type_timestamp() }}) as opened_at,
        cast(clicked_at as {{ dbt.type_timestamp() }}) as clicked_at,
        cast(redeemed_at as {{ dbt.type_timestamp() }}) as redeemed_at,
        cast(cost as {{ type_double() }}) as cost

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by touch_id
            order by sent_at, campaign_id, customer_id
        ) as duplicate_rank

    from renamed

),

final as (

    select
        touch_id,
        campaign_id,
        customer_id,
        channel,
        sent_at,
        is_delivered,
        opened_at,
        clicked_at,
        redeemed_at,
        cost

    from ranked
    where duplicate_rank = 1

)

select * from final
