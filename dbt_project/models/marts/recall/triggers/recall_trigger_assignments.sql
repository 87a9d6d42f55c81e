{#- The assignments of the trigger campaigns' next batch: the fired events
    (recall_trigger_events) minus the customers the contact policy keeps out of the trigger
    (recall_contact_exclusions, whose targets include the trigger events, at the batch's start:
    the day after fired_on), one row per trigger x customer x event. The arm is drawn per event:
    hash_fraction of trigger | customer | event key below the trigger's holdout_share is control,
    else treatment; every customer carries the trigger's variant (offer, template, channel;
    channel `preferred` is the layer channel rule, macro recall_channel). Registering the batch
    (sources/trigger_register.py) leaves out the events that fired before. -#}
with

triggers as (

    {{ trigger_rows() }}

),

events as (

    select * from {{ ref('recall_trigger_events') }}

),

exclusions as (

    select * from {{ ref('recall_contact_exclusions') }}
    where is_primary_reason

),

eligible as (

    select events.*
    from events
    left join exclusions
        on events.campaign_id = exclusions.campaign_id
        and events.customer_id = exclusions.customer_id
    where exclusions.customer_id is null

),

final as (

    select
        eligible.campaign_id,
        eligible.customer_id,
        eligible.event,
        eligible.event_key,
        eligible.fired_on,
        cast({{ add_days('eligible.fired_on', 1) }} as {{ dbt.type_timestamp() }}) as starts_at,
        eligible.layer,
        eligible.churn_type,
        case
            when {{ hash_fraction(dbt.concat(['eligible.campaign_id', "'|'", 'eligible.customer_id',
                                              "'|'", 'eligible.event_key'])) }}
                < triggers.holdout_share
                then 'control'
            else 'treatment'
        end as arm,
        triggers.variant,
        triggers.offer,
        {{ variant_channel('triggers.channel', 'eligible.layer', 'eligible.preferred_channel') }}
            as channel,
        triggers.template

    from eligible
    inner join triggers
        on eligible.campaign_id = triggers.campaign_id

)

select * from final
