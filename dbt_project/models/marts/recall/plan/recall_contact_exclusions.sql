{#- Who the contact policy keeps out of each planned wave, and why: one row per wave x customer
    x reason, the first by priority flagged is_primary_reason (the one counted in the plan).
    Reasons, in priority order, at the wave's start:
    - do_not_contact: on the do-not-contact list (opt-out, complaint, legal hold);
    - protected_control: in the control group of another campaign whose tracked window (its
      first month plus effect_months x effect_month_days) is still running, so controls stay
      clean;
    - quiet_period: a recall contact within the policy's quiet_days before the start;
    - contact_cap: max_contacts or more recall contacts within the policy's window_days.
    The policy comes from the plan's contact_policy (var contact_policy).
    Triggers (#15): the targets also include the plan's trigger campaigns (var recall_triggers):
    each customer with a fired event (recall_trigger_events), at the start of the trigger's next
    batch, the day after fired_on. The events are read only when the plan has triggers; the
    depends_on line keeps them upstream in every manifest (the Dagster asset graph). -#}
{%- set policy = var('contact_policy') -%}
{%- set has_triggers = (var('recall_triggers') or []) | length > 0 -%}
{%- set lookback_days = [policy['window_days'], policy['quiet_days']] | max -%}
{%- set tracked_days = var('first_month_days') + var('effect_months') * var('effect_month_days') -%}
with
-- depends_on: {{ ref('recall_trigger_events') }}

candidates as (

    select * from {{ ref('recall_candidates') }}

),

waves as (

    select * from {{ ref('recall_plan_waves') }}

),

wave_types as (

    select * from {{ ref('recall_plan_wave_types') }}

),

do_not_contact as (

    select * from {{ ref('stg_do_not_contact') }}

),

touches as (

    select * from {{ ref('stg_recall_touches') }}

),

assignments as (

    select * from {{ ref('stg_recall_assignments') }}

),

campaigns as (

    select * from {{ ref('stg_recall_campaigns') }}

),

wave_targets as (

    select
        waves.campaign_id,
        waves.starts_at,
        candidates.customer_id

    from waves
    inner join wave_types
        on waves.campaign_id = wave_types.campaign_id
    inner join candidates
        on wave_types.churn_type = candidates.churn_type

),

{#- triggers (#15): a trigger's customers at its next batch's start (recall_trigger_events) #}
trigger_targets as (

    {%- if has_triggers %}
    select distinct
        campaign_id,
        cast({{ add_days('fired_on', 1) }} as {{ dbt.type_timestamp() }}) as starts_at,
        customer_id

    from {{ ref('recall_trigger_events') }}
    {%- else %}
    select campaign_id, starts_at, customer_id
    from wave_targets
    where 1 = 0
    {%- endif %}

),

targeted as (

    select * from wave_targets
    union all
    select * from trigger_targets

),

listed as (

    select
        targeted.campaign_id,
        targeted.customer_id,
        'do_not_contact' as reason,
        1 as priority

    from targeted
    inner join do_not_contact
        on targeted.customer_id = do_not_contact.customer_id
        and do_not_contact.listed_at <= targeted.starts_at

),

protected as (

    {%- if policy['protect_controls'] %}
    select distinct
        targeted.campaign_id,
        targeted.customer_id,
        'protected_control' as reason,
        2 as priority

    from targeted
    inner join assignments
        on targeted.customer_id = assignments.customer_id
        and assignments.arm = 'control'
        and assignments.campaign_id <> targeted.campaign_id
    inner join campaigns
        on assignments.campaign_id = campaigns.campaign_id
    where campaigns.started_at <= targeted.starts_at
        and targeted.starts_at
            < {{ dbt.dateadd('day', tracked_days, 'campaigns.started_at') }}
    {%- else %}
    select
        campaign_id,
        customer_id,
        'protected_control' as reason,
        2 as priority

    from targeted
    where 1 = 0
    {%- endif %}

),

recent_contacts as (

    select
        targeted.campaign_id,
        targeted.customer_id,
        count(case
            when touches.sent_at >= {{ dbt.dateadd('day', -policy['window_days'], 'targeted.starts_at') }}
                then 1
        end) as contacts_in_window,
        max(touches.sent_at) as last_contact_at,
        max(targeted.starts_at) as starts_at

    from targeted
    inner join touches
        on targeted.customer_id = touches.customer_id
        and touches.campaign_id <> targeted.campaign_id
        and touches.sent_at < targeted.starts_at
        and touches.sent_at >= {{ dbt.dateadd('day', -lookback_days, 'targeted.starts_at') }}
    group by targeted.campaign_id, targeted.customer_id

),

quiet as (

    select
        campaign_id,
        customer_id,
        'quiet_period' as reason,
        3 as priority

    from recent_contacts
    where last_contact_at >= {{ dbt.dateadd('day', -policy['quiet_days'], 'starts_at') }}

),

capped as (

    select
        campaign_id,
        customer_id,
        'contact_cap' as reason,
        4 as priority

    from recent_contacts
    where contacts_in_window >= {{ policy['max_contacts'] }}

),

reasons as (

    select * from listed
    union all
    select * from protected
    union all
    select * from quiet
    union all
    select * from capped

),

final as (

    select
        campaign_id,
        customer_id,
        reason,
        row_number() over (partition by campaign_id, customer_id order by priority) = 1
            as is_primary_reason

    from reasons

)

select * from final
