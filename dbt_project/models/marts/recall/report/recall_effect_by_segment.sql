{#- First-month conversion uplift of each campaign by contact channel and by churn type, for the
    report's campaign page: the treated customers of a segment against the control customers of
    the same segment (a control customer carries the channel it would have been contacted
    through, and its churn type), with the Newcombe interval (macros/recall_stats.sql) and the
    incremental GMV and ROI of the segment. Observational campaigns get no uplift. -#}
with

outcomes as (

    select * from {{ ref('int_recall_outcomes') }}

),

{%- set dimensions = ['channel', 'churn_type'] %}

segments as (

    {% for dimension in dimensions %}
    select
        campaign_id,
        '{{ dimension }}' as dimension,
        cast({{ dimension }} as {{ dbt.type_string() }}) as segment,
        max(design) as design,
        sum(case when arm = 'treatment' then 1 else 0 end) as targeted_count,
        sum(case when arm = 'control' then 1 else 0 end) as control_count,
        sum(case when arm = 'treatment' then is_converted else 0 end) as converted_count,
        sum(case when arm = 'control' then is_converted else 0 end) as control_converted_count,
        avg(case when arm = 'treatment' then first_month_gmv end) as gmv_per_customer,
        avg(case when arm = 'control' then first_month_gmv end) as control_gmv_per_customer,
        sum(case when arm = 'treatment' then contact_cost else 0 end) as cost

    from outcomes
    group by campaign_id, cast({{ dimension }} as {{ dbt.type_string() }})
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

rates as (

    select
        *,
        converted_count * 1.0 / nullif(targeted_count, 0) as conversion_rate,
        control_converted_count * 1.0 / nullif(control_count, 0) as control_conversion_rate,
        design = 'randomized' and control_count > 0 and targeted_count > 0 as is_uplift_estimate

    from segments

),

final as (

    select
        campaign_id,
        dimension,
        coalesce(segment, 'unknown') as segment,
        design,
        case when is_uplift_estimate then 'uplift' else 'observational_difference' end
            as estimate_type,
        targeted_count,
        control_count,
        converted_count,
        control_converted_count,
        conversion_rate,
        control_conversion_rate,
        case when is_uplift_estimate then conversion_rate - control_conversion_rate end
            as conversion_uplift,
        case
            when is_uplift_estimate
                then {{ uplift_bound('conversion_rate', 'targeted_count',
                                     'control_conversion_rate', 'control_count', -1) }}
        end as conversion_uplift_lower,
        case
            when is_uplift_estimate
                then {{ uplift_bound('conversion_rate', 'targeted_count',
                                     'control_conversion_rate', 'control_count', 1) }}
        end as conversion_uplift_upper,
        case
            when is_uplift_estimate
                then (gmv_per_customer - control_gmv_per_customer) * targeted_count
        end as incremental_gmv,
        cost,
        case
            when is_uplift_estimate and cost > 0
                then ((gmv_per_customer - control_gmv_per_customer) * targeted_count
                      * {{ var('gross_margin') }} - cost) / cost
        end as roi

    from rates

)

select * from final
