{#- Month 1..effect_months after the first month, per campaign x layer x variant x template x
    arm (a control customer carries the variant it would have received, so each variant is
    compared with the control customers of its own variant and layer): active customers,
    GMV against pre-churn GMV, tier upgrades, referrals, re-churn (an activated customer churned
    again by the month's end: macros/domain.sql is_churned_at, counting interactions since the
    assignment), uplift in GMV per customer with an interval, cumulative incremental GMV;
    window_complete is false until the month has ended for every customer. -#}
with

outcomes as (

    select * from {{ ref('int_recall_outcomes') }}

),

orders as (

    select * from {{ ref('stg_orders') }}

),

events as (

    select * from {{ ref('stg_events') }}

),

membership_periods as (

    select * from {{ ref('int_membership_periods') }}

),

referrals as (

    select * from {{ ref('stg_referrals') }}

),

bounds as (

    select * from {{ ref('int_data_bounds') }}

),

months as (

    {%- for month in range(1, var('effect_months') + 1) %}
    select {{ month }} as month_number
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

windows as (

    select
        outcomes.*,
        months.month_number,
        {{ dbt.dateadd('day', var('first_month_days') ~ ' + (months.month_number - 1) * '
                        ~ var('effect_month_days'), 'outcomes.assigned_at') }} as month_start_at,
        {{ dbt.dateadd('day', var('first_month_days') ~ ' + months.month_number * '
                        ~ var('effect_month_days'), 'outcomes.assigned_at') }} as month_end_at

    from outcomes
    cross join months

),

tier_changes as (

    select
        customer_id,
        valid_from as changed_at,
        tier_rank - lag(tier_rank) over (partition by customer_id order by valid_from)
            as rank_change

    from membership_periods

),

activity as (

    select
        customer_id,
        ordered_at as happened_at,
        true as is_interaction,
        case when order_status = 'paid' then gmv end as paid_gmv,
        0 as tier_upgrade,
        0 as referral

    from orders

    union all

    select
        customer_id,
        event_at as happened_at,
        true as is_interaction,
        null as paid_gmv,
        0 as tier_upgrade,
        0 as referral

    from events

    union all

    select
        customer_id,
        changed_at as happened_at,
        false as is_interaction,
        null as paid_gmv,
        1 as tier_upgrade,
        0 as referral

    from tier_changes
    where rank_change > 0

    union all

    select
        referrer_customer_id as customer_id,
        referred_at as happened_at,
        false as is_interaction,
        null as paid_gmv,
        0 as tier_upgrade,
        1 as referral

    from referrals

),

window_activity as (

    select
        windows.campaign_id,
        windows.customer_id,
        windows.month_number,
        activity.happened_at,
        activity.is_interaction,
        activity.paid_gmv,
        activity.tier_upgrade,
        activity.referral,
        activity.happened_at >= windows.month_start_at as is_in_month

    from windows
    inner join activity
        on windows.customer_id = activity.customer_id
        and activity.happened_at >= windows.assigned_at
        and activity.happened_at < windows.month_end_at

),

month_activity as (

    select
        campaign_id,
        customer_id,
        month_number,
        sum(case when is_in_month then paid_gmv end) as gmv,
        max(case when is_in_month and is_interaction then 1 else 0 end) as is_active,
        max(case when is_interaction then happened_at end) as last_interaction_at,
        sum(case when is_in_month then tier_upgrade else 0 end) as tier_upgrades,
        sum(case when is_in_month then referral else 0 end) as referred_customers

    from window_activity
    group by campaign_id, customer_id, month_number

),

customer_months as (

    select
        windows.campaign_id,
        windows.layer,
        windows.variant,
        windows.template,
        windows.arm,
        windows.design,
        windows.month_number,
        windows.customer_id,
        coalesce(month_activity.gmv, 0) as gmv,
        windows.pre_churn_monthly_gmv,
        coalesce(month_activity.is_active, 0) as is_active,
        coalesce(month_activity.tier_upgrades, 0) as tier_upgrades,
        coalesce(month_activity.referred_customers, 0) as referred_customers,
        case
            when windows.is_activated = 1
                and {{ is_churned_at('month_activity.last_interaction_at',
                                     'windows.month_end_at') }}
                then 1
            else 0
        end as is_rechurned,
        case
            when windows.month_end_at <= {{ dbt.dateadd('day', 1, 'bounds.data_last_day') }} then 1
            else 0
        end as is_month_elapsed

    from windows
    cross join bounds
    left join month_activity
        on windows.campaign_id = month_activity.campaign_id
        and windows.customer_id = month_activity.customer_id
        and windows.month_number = month_activity.month_number

),

by_arm as (

    select
        campaign_id,
        layer,
        variant,
        template,
        arm,
        month_number,
        max(design) as design,
        count(*) as targeted_count,
        sum(is_active) as active_customers,
        sum(gmv) as gmv,
        avg(gmv) as gmv_per_customer,
        stddev_samp(gmv) as gmv_per_customer_sd,
        sum(pre_churn_monthly_gmv) as pre_churn_monthly_gmv,
        sum(gmv) / nullif(sum(pre_churn_monthly_gmv), 0) as gmv_to_pre_churn_ratio,
        sum(tier_upgrades) as tier_upgrades,
        sum(referred_customers) as referred_customers,
        sum(is_rechurned) as rechurned_customers,
        min(is_month_elapsed) = 1 as window_complete

    from customer_months
    group by campaign_id, layer, variant, template, arm, month_number

),

control as (

    select * from by_arm where arm = 'control'

),

with_uplift as (

    select
        by_arm.*,
        case
            when {{ is_uplift_estimate('by_arm') }}
                then by_arm.gmv_per_customer - control.gmv_per_customer
        end as gmv_uplift_per_customer,
        case
            when {{ is_uplift_estimate('by_arm') }}
                then by_arm.gmv_per_customer - control.gmv_per_customer
                    - {{ mean_diff_halfwidth('by_arm.gmv_per_customer_sd',
                                             'by_arm.targeted_count',
                                             'control.gmv_per_customer_sd',
                                             'control.targeted_count') }}
        end as gmv_uplift_lower,
        case
            when {{ is_uplift_estimate('by_arm') }}
                then by_arm.gmv_per_customer - control.gmv_per_customer
                    + {{ mean_diff_halfwidth('by_arm.gmv_per_customer_sd',
                                             'by_arm.targeted_count',
                                             'control.gmv_per_customer_sd',
                                             'control.targeted_count') }}
        end as gmv_uplift_upper,
        case
            when by_arm.arm = 'treatment' then {{ incremental_gmv('by_arm', 'control') }}
        end as incremental_gmv,
        case
            when by_arm.design = 'randomized' then 'uplift'
            else 'observational_difference'
        end as estimate_type

    from by_arm
    left join control
        on by_arm.campaign_id = control.campaign_id
        and by_arm.layer = control.layer
        and by_arm.variant = control.variant
        and by_arm.template = control.template
        and by_arm.month_number = control.month_number

),

final as (

    select
        *,
        sum(incremental_gmv) over (
            partition by campaign_id, layer, variant, template, arm
            order by month_number
            rows between unbounded preceding and current row
        ) as cumulative_incremental_gmv

    from with_uplift

)

select * from final
