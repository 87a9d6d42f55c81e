{#- One row per support ticket with its kind flags and whether the first response was slow
    (first_response_minutes > var slow_response_minutes). -#}
with

tickets as (

    select * from {{ ref('stg_support_tickets') }}

),

final as (

    select
        ticket_id,
        customer_id,
        opened_at,
        opened_date,
        {{ month_start('opened_date') }} as opened_month,
        ticket_kind,
        ticket_topic,
        case when ticket_kind = 'complaint' then true else false end as is_complaint,
        case when ticket_kind = 'inquiry' then true else false end as is_inquiry,
        case when ticket_kind = 'return' then true else false end as is_return_ticket,
        first_response_minutes,
        case
            when first_response_minutes > {{ var('slow_response_minutes') }} then true
            else false
        end as is_slow_response,
        satisfaction_score

    from tickets

)

select * from final
