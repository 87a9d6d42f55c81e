with

source as (

    select * from {{ source('raw', 'recall_assignments') }}

),

renamed as (

    select
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(layer as {{ dbt.type_string() }}) as layer,
        cast(churn_type as {{ dbt.type_string() }}) as churn_type,
        cast(arm as {{ dbt.type_string() }}) as arm,
        cast(offer as {{ dbt.type_string() }}) as offer,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(assigned_at as {{ dbt.type_timestamp() }}) as assigned_at,
        coalesce(
            cast(variant as {{ dbt.type_string() }}),
            {{ dbt.concat(["cast(offer as " ~ dbt.type_string() ~ ")", "'@'",
                           "cast(channel as " ~ dbt.type_string() ~ ")"]) }}
        ) as variant,
        coalesce(cast(template as {{ dbt.type_string() }}), 'default') as template

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by campaign_id, customer_id
            order by assigned_at, arm, layer
        ) as duplicate_rank

    from renamed

),

final as (

    select
        campaign_id,
        customer_id,
        layer,
        churn_type,
        arm,
        offer,
        channel,
        assigned_at,
        variant,
        template

    from ranked
    where duplicate_rank = 1

)

select * from final
