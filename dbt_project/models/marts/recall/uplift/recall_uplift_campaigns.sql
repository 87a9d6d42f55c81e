{#- One row per campaign (recorded in recall_campaigns or holding assignments): whether the uplift
    model trains on it and, if not, why - the logged reason of issue #16's bad-input rule.
    Only assignments whose first month has elapsed (int_recall_outcomes.is_window_complete)
    can be trained on, so the arm checks count those. The first reason that applies wins:
    1. observational: the design is not randomized (a campaign missing from recall_campaigns
       reads as observational, as in int_recall_outcomes);
    2. no control arm / 3. no treatment arm: the arm has no assignment at all;
    4. first month not complete: an arm has no assignment whose first month has elapsed;
    5. fewer than <uplift_min_control_customers> control customers: too few control
       customers with an elapsed first month. -#}
{%- set min_control = var('uplift_min_control_customers') -%}
with

outcomes as (

    select * from {{ ref('int_recall_outcomes') }}

),

campaigns as (

    select * from {{ ref('stg_recall_campaigns') }}

),

campaign_ids as (

    select campaign_id from campaigns

    union

    select campaign_id from outcomes

),

assignment_counts as (

    select
        campaign_id,
        count(*) as assigned_count,
        count(case when arm = 'treatment' then 1 end) as treatment_count,
        count(case when arm = 'control' then 1 end) as control_count,
        count(case when arm = 'treatment' and is_window_complete = 1 then 1 end)
            as complete_treatment_count,
        count(case when arm = 'control' and is_window_complete = 1 then 1 end)
            as complete_control_count,
        min(assigned_at) as first_assigned_at,
        max(assigned_at) as last_assigned_at

    from outcomes
    group by campaign_id

),

counted as (

    select
        campaign_ids.campaign_id,
        coalesce(campaigns.design, 'observational') as design,
        coalesce(campaigns.kind, 'wave') as kind,
        coalesce(assignment_counts.assigned_count, 0) as assigned_count,
        coalesce(assignment_counts.treatment_count, 0) as treatment_count,
        coalesce(assignment_counts.control_count, 0) as control_count,
        coalesce(assignment_counts.complete_treatment_count, 0) as complete_treatment_count,
        coalesce(assignment_counts.complete_control_count, 0) as complete_control_count,
        assignment_counts.first_assigned_at,
        assignment_counts.last_assigned_at

    from campaign_ids
    left join campaigns
        on campaign_ids.campaign_id = campaigns.campaign_id
    left join assignment_counts
        on campaign_ids.campaign_id = assignment_counts.campaign_id

),

reasoned as (

    select
        *,
        case
            when design != 'randomized' then 'observational'
            when control_count = 0 then 'no control arm'
            when treatment_count = 0 then 'no treatment arm'
            when complete_control_count = 0 or complete_treatment_count = 0
                then 'first month not complete'
            when complete_control_count < {{ min_control }}
                then 'fewer than {{ min_control }} control customers'
        end as exclusion_reason

    from counted

),

final as (

    select
        campaign_id,
        design,
        kind,
        exclusion_reason is null as is_used_for_training,
        exclusion_reason,
        assigned_count,
        treatment_count,
        control_count,
        case
            when exclusion_reason is null
                then complete_treatment_count + complete_control_count
            else 0
        end as training_assignment_count,
        complete_treatment_count,
        complete_control_count,
        {{ min_control }} as min_control_customers,
        first_assigned_at,
        last_assigned_at

    from reasoned

)

select * from final
