with

source as (

    select * from {{ source('raw', 'market_events') }}

),

renamed as (

    select
        cast(market_event_id as {{ dbt.type_string() }}) as market_event_id,
        cast(kind as {{ dbt.type_string() }}) as kind,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(ends_at as {{ dbt.type_timestamp() }}) as ends_at,
        cast(description as {{ dbt.type_string() }}) as description

    from source

),

ranked as (

    select
        *,
        row_number() over (partition by market_event_id order by started_at desc) as duplicate_rank

    from renamed

),

final as (

    select
        market_event_id,
        kind,
        started_at,
        ends_at,
        description

    from ranked
    where duplicate_rank = 1

)

select * from final
