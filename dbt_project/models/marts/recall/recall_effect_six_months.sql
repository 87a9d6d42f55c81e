{#- Month 1..effect_months after the first month, per campaign x layer x arm: active customers,
    GMV against pre-churn GMV, tier upgrades, referrals, re-churn, uplift in GMV per customer
    with an interval, cumulative incremental GMV; window_complete is false until the month ends. -#}
with

outcomes as (
    select * from {{ ref('int_recall_outcomes') }}
),

months as (
    {% for m in range(1, var('effect_months') + 1) %}
    select {{ m }} as month_number{% if not loop.last %} union all{% endif %}
    {% endfor %}
),

windows as (
    select
        o.*,
        m.month_number,
        {{ dbt.dateadd('day', var('first_month_days') ~ ' + (m.month_number - 1) * '
                        ~ var('effect_month_days'), 'o.assigned_at') }} as month_start_at,
        {{ dbt.dateadd('day', var('first_month_days') ~ ' + m.month_number * '
                        ~ var('effect_month_days'), 'o.assigned_at') }} as month_end_at
    from outcomes as o
    cross join months as m
),

orders as (
    select customer_id, ordered_at, gmv from {{ ref('stg_orders') }} where order_status = 'paid'
),

interactions as (
    select customer_id, event_at as happened_at from {{ ref('stg_events') }}
    union all
    select customer_id, ordered_at from {{ ref('stg_orders') }}
),

memberships as (
    select customer_id, changed_at, tier,
        case tier when 'basic' then 0 when 'silver' then 1 when 'gold' then 2 else 3 end
            as tier_rank
    from {{ ref('stg_memberships') }}
),

tier_changes as (
    select customer_id, changed_at,
        tier_rank - lag(tier_rank) over (partition by customer_id order by changed_at)
            as rank_change
    from memberships
),

month_gmv as (
    select w.campaign_id, w.customer_id, w.month_number, sum(o.gmv) as gmv
    from windows as w
    inner join orders as o
        on o.customer_id = w.customer_id
        and o.ordered_at >= w.month_start_at and o.ordered_at < w.month_end_at
    group by w.campaign_id, w.customer_id, w.month_number
),

month_active as (
    select w.campaign_id, w.customer_id, w.month_number, max(i.happened_at) as last_active_at
    from windows as w
    inner join interactions as i
        on i.customer_id = w.customer_id
        and i.happened_at >= w.month_start_at and i.happened_at < w.month_end_at
    group by w.campaign_id, w.customer_id, w.month_number
),

last_interaction as (
    select w.campaign_id, w.customer_id, w.month_number, max(i.happened_at) as last_at
    from windows as w
    inner join interactions as i
        on i.customer_id = w.customer_id
        and i.happened_at >= w.assigned_at and i.happened_at < w.month_end_at
    group by w.campaign_id, w.customer_id, w.month_number
),

upgrades as (
    select w.campaign_id, w.customer_id, w.month_number, count(*) as tier_upgrades
    from windows as w
    inner join tier_changes as t
        on t.customer_id = w.customer_id and t.rank_change > 0
        and t.changed_at >= w.month_start_at and t.changed_at < w.month_end_at
    group by w.campaign_id, w.customer_id, w.month_number
),

referred as (
    select w.campaign_id, w.customer_id, w.month_number, count(*) as referred_customers
    from windows as w
    inner join {{ ref('stg_referrals') }} as r
        on r.referrer_customer_id = w.customer_id
        and r.referred_at >= w.month_start_at and r.referred_at < w.month_end_at
    group by w.campaign_id, w.customer_id, w.month_number
),

bounds as (
    select data_last_day from {{ ref('int_data_bounds') }}
),

customer_months as (
    select
        w.campaign_id, w.layer, w.arm, w.design, w.month_number, w.customer_id,
        coalesce(g.gmv, 0) as gmv,
        w.pre_churn_monthly_gmv,
        case when a.customer_id is not null then 1 else 0 end as is_active,
        coalesce(u.tier_upgrades, 0) as tier_upgrades,
        coalesce(r.referred_customers, 0) as referred_customers,
        case when w.is_activated = 1
            and (l.last_at is null
                 or l.last_at < {{ dbt.dateadd('day', -1 * var('churn_days'), 'w.month_end_at') }})
            then 1 else 0 end as is_rechurned,
        case when w.month_end_at <= {{ dbt.dateadd('day', 1, 'b.data_last_day') }}
            then 1 else 0 end as is_month_elapsed
    from windows as w
    cross join bounds as b
    left join month_gmv as g using (campaign_id, customer_id, month_number)
    left join month_active as a using (campaign_id, customer_id, month_number)
    left join last_interaction as l using (campaign_id, customer_id, month_number)
    left join upgrades as u using (campaign_id, customer_id, month_number)
    left join referred as r using (campaign_id, customer_id, month_number)
),

by_arm as (
    select
        campaign_id, layer, arm, month_number,
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
    group by campaign_id, layer, arm, month_number
),

with_uplift as (
    select
        t.*,
        case when t.arm = 'treatment' and t.design = 'randomized'
            then t.gmv_per_customer - c.gmv_per_customer end as gmv_uplift_per_customer,
        case when t.arm = 'treatment' and t.design = 'randomized'
            then t.gmv_per_customer - c.gmv_per_customer
                - {{ mean_diff_halfwidth('t.gmv_per_customer_sd', 't.targeted_count',
                                         'c.gmv_per_customer_sd', 'c.targeted_count') }}
        end as gmv_uplift_lower,
        case when t.arm = 'treatment' and t.design = 'randomized'
            then t.gmv_per_customer - c.gmv_per_customer
                + {{ mean_diff_halfwidth('t.gmv_per_customer_sd', 't.targeted_count',
                                         'c.gmv_per_customer_sd', 'c.targeted_count') }}
        end as gmv_uplift_upper,
        case when t.arm = 'treatment'
            then (t.gmv_per_customer - c.gmv_per_customer) * t.targeted_count
        end as incremental_gmv,
        case when t.design = 'randomized' then 'uplift' else 'observational_difference' end
            as estimate_type
    from by_arm as t
    left join by_arm as c
        on c.campaign_id = t.campaign_id and c.layer = t.layer
        and c.month_number = t.month_number and c.arm = 'control'
),

final as (
    select
        *,
        sum(incremental_gmv) over (
            partition by campaign_id, layer, arm order by month_number
            rows between unbounded preceding and current row
        ) as cumulative_incremental_gmv
    from with_uplift
)

select * from final
