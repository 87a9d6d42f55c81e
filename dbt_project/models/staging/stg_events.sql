with

source as (

    select * from {{ source('raw', 'events') }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(event_at as {{ dbt.type_timestamp() }}) as event_at,
        cast(event_type as {{ dbt.type_string() }}) as event_type,
        cast(category as {{ dbt.type_string() }}) as category,
        coalesce(cast(search_term_is_competitor as {{ dbt.type_boolean() }}), false)
            as is_competitor_search

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by event_id
            order by event_at, event_type
        ) as duplicate_rank

    from renamed

),

final as (

    select
        event_id,
        customer_id,
        event_at,
        cast(event_at as date) as event_date,
        event_type,
        category,
        is_competitor_search

    from ranked
    where duplicate_rank = 1

)

select * from final
