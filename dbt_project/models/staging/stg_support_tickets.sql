with

source as (

    select * from {{ source('raw', 'support_tickets') }}

),

renamed as (

    select
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(opened_at as {{ dbt.type_timestamp() }}) as opened_at,
        cast(kind as {{ dbt.type_string() }}) as ticket_kind,
        cast(topic as {{ dbt.type_string() }}) as ticket_topic,
        cast(first_response_minutes as {{ type_double() }}) as first_response_minutes,
        cast(satisfaction as {{ dbt.type_int() }}) as satisfaction_score

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by ticket_id
            order by opened_at, ticket_kind
        ) as duplicate_rank

    from renamed

),

final as (

    select
        ticket_id,
        customer_id,
        opened_at,
        cast(opened_at as date) as opened_date,
        ticket_kind,
        ticket_topic,
        first_response_minutes,
        satisfaction_score

    from ranked
    where duplicate_rank = 1

)

select * from final
