with

source as (

    select * from {{ source('raw', 'recall_campaigns') }}

),

renamed as (

    select
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(wave as {{ dbt.type_string() }}) as wave,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(ends_at as {{ dbt.type_timestamp() }}) as ends_at,
        cast(budget as {{ type_double() }}) as budget,
        cast(design as {{ dbt.type_string() }}) as design,
        cast(holdout_share as {{ type_double() }}) as holdout_share,
        coalesce(cast(kind as {{ dbt.type_string() }}), 'wave') as kind,
        cast(parent_campaign_id as {{ dbt.type_string() }}) as parent_campaign_id

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by campaign_id
            order by started_at desc, ends_at desc
        ) as duplicate_rank

    from renamed

),

final as (

    select
        campaign_id,
        wave,
        started_at,
        ends_at,
        budget,
        design,
        holdout_share,
        kind,
        parent_campaign_id

    from ranked
    where duplicate_rank = 1

)

select * from final
