{#- Customer feedback of contacted customers, before and after the contact, by campaign and arm:
    support tickets opened in the first_month_days before the assignment and in the
    first_month_days after it - complaints per 100 customers and the average satisfaction score
    of the tickets that carry one. The control arm shows what happens without a contact. -#}
with

outcomes as (

    select * from {{ ref('int_recall_outcomes') }}

),

tickets as (

    select * from {{ ref('int_ticket_facts') }}

),

windows as (

    select
        outcomes.campaign_id,
        outcomes.arm,
        outcomes.customer_id,
        tickets.is_complaint,
        tickets.satisfaction_score,
        case
            when tickets.opened_at < outcomes.assigned_at then 'before'
            else 'after'
        end as period

    from outcomes
    inner join tickets
        on outcomes.customer_id = tickets.customer_id
        and tickets.opened_at >= {{ add_days('outcomes.assigned_at',
                                              '-' ~ var('first_month_days')) }}
        and tickets.opened_at < {{ add_days('outcomes.assigned_at', var('first_month_days')) }}

),

customers as (

    select
        campaign_id,
        arm,
        count(*) as customer_count

    from outcomes
    group by campaign_id, arm

),

periods as (

    select
        customers.campaign_id,
        customers.arm,
        customers.customer_count,
        period.period

    from customers
    cross join (select 'before' as period union all select 'after' as period) as period

),

feedback as (

    select
        campaign_id,
        arm,
        period,
        count(*) as ticket_count,
        sum(case when is_complaint then 1 else 0 end) as complaint_count,
        count(satisfaction_score) as rated_ticket_count,
        avg(satisfaction_score) as average_satisfaction

    from windows
    group by campaign_id, arm, period

),

final as (

    select
        periods.campaign_id,
        periods.arm,
        periods.period,
        periods.customer_count,
        coalesce(feedback.ticket_count, 0) as ticket_count,
        coalesce(feedback.complaint_count, 0) as complaint_count,
        100.0 * coalesce(feedback.complaint_count, 0) / periods.customer_count
            as complaints_per_100_customers,
        coalesce(feedback.rated_ticket_count, 0) as rated_ticket_count,
        feedback.average_satisfaction

    from periods
    left join feedback
        on periods.campaign_id = feedback.campaign_id
        and periods.arm = feedback.arm
        and periods.period = feedback.period

)

select * from final
