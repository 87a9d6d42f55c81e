{#- The report's headline figures, one row per campaign plus an 'all' row: customers won back
    beyond control (treatment conversion rate minus the pooled control's, times the treated
    customers), incremental first-month GMV and ROI, each with its 1 - alpha interval. Per
    campaign the intervals are recall_effect_variants' (Newcombe for the conversion uplift,
    Welch normal for GMV per customer, ROI mapped through its linear function of GMV); the
    point estimates equal the sums over the campaign's variants there. The 'all' row sums the
    randomized campaigns with a control group; its interval adds each campaign's lower and upper
    half-widths in quadrature (campaigns are separate randomizations, taken as independent). -#}
with

outcomes as (

    select * from {{ ref('int_recall_outcomes') }}

),

arms as (

    select
        campaign_id,
        max(kind) as kind,
        max(design) as design,
        min(assigned_at) as started_at,
        sum(case when arm = 'treatment' then 1 else 0 end) as targeted_count,
        sum(case when arm = 'control' then 1 else 0 end) as control_count,
        sum(case when arm = 'treatment' then is_converted else 0 end) as converted_count,
        sum(case when arm = 'control' then is_converted else 0 end) as control_converted_count,
        avg(case when arm = 'treatment' then first_month_gmv end) as gmv_per_customer,
        stddev_samp(case when arm = 'treatment' then first_month_gmv end) as gmv_per_customer_sd,
        avg(case when arm = 'control' then first_month_gmv end) as control_gmv_per_customer,
        stddev_samp(case when arm = 'control' then first_month_gmv end)
            as control_gmv_per_customer_sd,
        sum(case when arm = 'treatment' then contact_cost else 0 end) as cost,
        min(is_window_complete) as window_complete_flag

    from outcomes
    group by campaign_id

),

rates as (

    select
        *,
        converted_count * 1.0 / nullif(targeted_count, 0) as conversion_rate,
        control_converted_count * 1.0 / nullif(control_count, 0) as control_conversion_rate,
        design = 'randomized' and control_count > 0 and targeted_count > 0 as is_uplift_estimate

    from arms

),

campaigns as (

    select
        campaign_id,
        kind,
        design,
        started_at,
        targeted_count,
        control_count,
        cost,
        window_complete_flag = 1 as is_window_complete,
        is_uplift_estimate,
        case
            when is_uplift_estimate
                then (conversion_rate - control_conversion_rate) * targeted_count
        end as won_back_count,
        case
            when is_uplift_estimate
                then {{ uplift_bound('conversion_rate', 'targeted_count',
                                     'control_conversion_rate', 'control_count', -1) }}
                    * targeted_count
        end as won_back_lower,
        case
            when is_uplift_estimate
                then {{ uplift_bound('conversion_rate', 'targeted_count',
                                     'control_conversion_rate', 'control_count', 1) }}
                    * targeted_count
        end as won_back_upper,
        case
            when is_uplift_estimate
                then (gmv_per_customer - control_gmv_per_customer) * targeted_count
        end as incremental_gmv,
        case
            when is_uplift_estimate
                then {{ mean_diff_halfwidth('gmv_per_customer_sd', 'targeted_count',
                                            'control_gmv_per_customer_sd', 'control_count') }}
                    * targeted_count
        end as incremental_gmv_halfwidth

    from rates

),

per_campaign as (

    select
        campaign_id,
        kind,
        design,
        started_at,
        targeted_count,
        control_count,
        cost,
        is_window_complete,
        is_uplift_estimate,
        won_back_count,
        won_back_lower,
        won_back_upper,
        incremental_gmv,
        incremental_gmv - incremental_gmv_halfwidth as incremental_gmv_lower,
        incremental_gmv + incremental_gmv_halfwidth as incremental_gmv_upper

    from campaigns

),

all_campaigns as (

    select
        'all' as campaign_id,
        'all' as kind,
        'randomized' as design,
        min(started_at) as started_at,
        sum(targeted_count) as targeted_count,
        sum(control_count) as control_count,
        sum(cost) as cost,
        coalesce(min(case when is_window_complete then 1 else 0 end), 0) = 1
            as is_window_complete,
        count(*) > 0 as is_uplift_estimate,
        sum(won_back_count) as won_back_count,
        sum(won_back_count) - sqrt(sum((won_back_count - won_back_lower)
                                       * (won_back_count - won_back_lower))) as won_back_lower,
        sum(won_back_count) + sqrt(sum((won_back_upper - won_back_count)
                                       * (won_back_upper - won_back_count))) as won_back_upper,
        sum(incremental_gmv) as incremental_gmv,
        sum(incremental_gmv) - sqrt(sum((incremental_gmv - incremental_gmv_lower)
                                        * (incremental_gmv - incremental_gmv_lower)))
            as incremental_gmv_lower,
        sum(incremental_gmv) + sqrt(sum((incremental_gmv_upper - incremental_gmv)
                                        * (incremental_gmv_upper - incremental_gmv)))
            as incremental_gmv_upper

    from per_campaign
    where is_uplift_estimate

),

unioned as (

    select * from per_campaign
    union all
    select * from all_campaigns

),

final as (

    select
        *,
        {%- for suffix in ['', '_lower', '_upper'] %}
        case
            when cost > 0
                then (incremental_gmv{{ suffix }} * {{ var('gross_margin') }} - cost) / cost
        end as roi{{ suffix }},
        {%- endfor %}
        campaign_id = 'all' as is_total

    from unioned

)

select * from final
