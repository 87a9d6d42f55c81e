{#- Membership tier periods: each tier change is valid from its changed_at until the next
    change (exclusive; null while current), with the tier rank (0 basic .. 3 platinum). -#}
with

memberships as (

    select * from {{ ref('stg_memberships') }}

),

final as (

    select
        customer_id,
        changed_at as valid_from,
        lead(changed_at) over (partition by customer_id order by changed_at) as valid_to,
        tier,
        cast({{ tier_rank('tier') }} as {{ dbt.type_int() }}) as tier_rank,
        expires_at

    from memberships

)

select * from final
