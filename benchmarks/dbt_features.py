"""dbt's customer_snapshots against one hand-written DuckDB query computing the same table.

For each size in --customers: simulate a shop into a DuckDB file (or reuse --raw-dir), copy it
twice, build `+customer_snapshots` with dbt (a `dbt run` subprocess, manifest parsed beforehand
as the pipeline does) in one copy and run HAND_QUERY (below; every staging, intermediate and mart
rule written as one statement) in the other, then check that both tables are equal (EXCEPT ALL
both ways, doubles rounded to 6 decimals) and print wall and CPU times, the dbt / query ratio
(target <= 1.5x), the peak memory of each process and the slowest dbt models
(target/run_results.json). Each side runs in its own child process, measured alone.

On a shared machine wall times swing with the neighbours' load: --repeat N alternates the two
N times and reports medians; the CPU ratio is the steadier figure. --dbt-project-dir points dbt
at another checkout of the project (A/B runs of a model change on the same raw data).

    uv run python benchmarks/dbt_features.py --customers 100000
    uv run python benchmarks/dbt_features.py --customers 10000,100000 --raw-dir /tmp/raw --repeat 3

Exit status 1 when the outputs differ or the ratio exceeds --max-ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from orchestration.settings import Settings  # noqa: E402

DBT_PROJECT_DIR = ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
SELECTOR = "+customer_snapshots"
QUERY_TABLE = "bench.customer_snapshots"
ROUND_DIGITS = 6

# The whole +customer_snapshots lineage as one statement. Same rules as the dbt models (the
# staging deduplication included), written independently: sparse customer-month facts instead of
# a dense grid, window sums as joins over month offsets, recency and tier by ASOF joins.
# Parameters: {late_delivery_days}, {churn_days}, {churn_window_days}, {snapshot_cadence_months},
# {recent_window_days}.
HAND_QUERY = """
create or replace table {table} as
with

customers as (
    select customer_id, signup_at, cast(signup_at as date) as signup_date, region
    from raw.customers
    qualify row_number() over (
        partition by customer_id
        order by signup_at, region, acquisition_channel, preferred_channel) = 1
),

events as (
    select customer_id, event_at, event_type,
           coalesce(search_term_is_competitor, false) as is_competitor_search
    from raw.events
    qualify row_number() over (partition by event_id order by event_at, event_type) = 1
),

orders as (
    select order_id, customer_id, ordered_at, cast(ordered_at as date) as order_date,
           cast(gmv as decimal(18, 2)) as gmv, cast(discount as decimal(18, 2)) as discount,
           coupon_id, status, delivery_days
    from raw.orders
    qualify row_number() over (
        partition by order_id order by ordered_at desc, status, cast(gmv as decimal(18, 2)) desc) = 1
),

order_items as (
    select order_id, category, quantity
    from raw.order_items
    qualify row_number() over (
        partition by order_id, line_number
        order by product_id, category, quantity, cast(price as double)) = 1
),

tickets as (
    select customer_id, opened_at, kind, first_response_minutes, satisfaction
    from raw.support_tickets
    qualify row_number() over (partition by ticket_id order by opened_at, kind) = 1
),

memberships as (
    select customer_id, changed_at, tier, expires_at
    from raw.memberships
    qualify row_number() over (
        partition by customer_id, changed_at order by tier desc, expires_at desc) = 1
),

referrals as (
    select referrer_id, referred_at
    from raw.referrals
    qualify row_number() over (
        partition by referred_customer_id order by referred_at, referrer_id) = 1
),

event_days as (
    select
        customer_id,
        cast(event_at as date) as day,
        count(*) filter (where event_type = 'visit') as visits,
        count(*) filter (where event_type = 'view') as views,
        count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
        count(*) filter (where event_type = 'search') as searches,
        count(*) filter (where event_type = 'search' and is_competitor_search)
            as competitor_searches,
        count(*) filter (where event_type = 'promo_view') as promo_views,
        count(*) filter (where event_type = 'review') as reviews,
        min(event_at) as first_at,
        max(event_at) as last_at
    from events
    group by all
),

order_days as (
    select customer_id, order_date as day, count(*) as orders,
           min(ordered_at) as first_at, max(ordered_at) as last_at
    from orders
    group by all
),

days as (
    select
        coalesce(e.customer_id, o.customer_id) as customer_id,
        coalesce(e.day, o.day) as day,
        coalesce(e.visits, 0) as visits,
        coalesce(e.views, 0) as views,
        coalesce(e.add_to_carts, 0) as add_to_carts,
        coalesce(e.searches, 0) as searches,
        coalesce(e.competitor_searches, 0) as competitor_searches,
        coalesce(e.promo_views, 0) as promo_views,
        coalesce(e.reviews, 0) as reviews,
        coalesce(o.orders, 0) as orders,
        least(e.first_at, o.first_at) as first_at,
        greatest(e.last_at, o.last_at) as last_at,
        o.last_at as last_order_at
    from event_days as e
    full outer join order_days as o on e.customer_id = o.customer_id and e.day = o.day
),

bounds as (
    select
        cast(coalesce(a.first_at, s.first_signup) as date) as first_day,
        cast(case when a.last_at is null or s.last_signup > a.last_at then s.last_signup
                  else a.last_at end as date) as last_day
    from (
        select min(first_at) as first_at, max(last_at) as last_at
        from (
            select min(first_at) as first_at, max(last_at) as last_at from days
            union all
            select min(opened_at), max(opened_at) from tickets
        )
    ) as a
    cross join (
        select min(signup_at) as first_signup, max(signup_at) as last_signup from customers
    ) as s
),

snapshots as (
    select
        cast(snapshot_at as date) as snapshot_date,
        cast(cast(snapshot_at as date) - interval 1 month as date) as feature_month,
        cast(snapshot_at as date) + {churn_window_days} as label_end,
        cast(snapshot_at as date) + ({churn_window_days} - 1) <= bounds.last_day as label_complete
    from bounds,
        unnest(generate_series(cast(date_trunc('month', bounds.first_day) + interval 1 month
                                    as timestamp),
                               cast(bounds.last_day + 1 as timestamp),
                               interval 1 month)) as t(snapshot_at)
    where (year(snapshot_at) * 12 + month(snapshot_at) - 1) % {snapshot_cadence_months} = 0
        and cast(snapshot_at as date) - interval 1 month >= bounds.first_day
),

grid_start as (
    select customers.customer_id,
           greatest(cast(date_trunc('month', customers.signup_at) as date),
                    cast(date_trunc('month', bounds.first_day) as date)) as first_month,
           cast(date_trunc('month', bounds.last_day) as date) as last_month
    from customers cross join bounds
),

-- Customer-month facts (sparse), each from the table whose date places it in the month.
activity_months as (
    select
        customer_id,
        cast(date_trunc('month', day) as date) as month,
        sum(visits) as visits, sum(views) as views, sum(add_to_carts) as add_to_carts,
        sum(visits) filter (where day >= cast(date_trunc('month', day) + interval 1 month as date)
                                         - {recent_window_days}) as recent_visits,
        sum(searches) as searches, sum(competitor_searches) as competitor_searches,
        sum(promo_views) as promo_views, sum(reviews) as reviews,
        count(*) as active_days,
        count(*) filter (where add_to_carts > 0) as cart_days,
        count(*) filter (where add_to_carts > 0 and orders = 0) as cart_without_order_days,
        min(first_at) as first_at, max(last_at) as last_at, max(last_order_at) as last_order_at,
        min(day) as first_day, max(day) as last_day, max(day, 2)[2] as second_last_day
    from days
    group by all
),

-- Returns from churn (a day more than churn_days days after the customer's previous
-- interaction day) inside one calendar month: possible only when churn_days < 30, so this lag
-- over the days runs only then (otherwise DuckDB folds it to an empty result). Returns on a
-- month's first active day come from the months themselves, in `recency`.
intra_month_returns as (
    select customer_id, month, max(day) as return_day
    from (
        select customer_id, day, cast(date_trunc('month', day) as date) as month,
               lag(day) over (partition by customer_id, cast(date_trunc('month', day) as date)
                              order by day) as previous_day
        from days
        where {churn_days} < 30
    )
    where date_diff('day', previous_day, day) > {churn_days}
    group by all
),

order_facts as (
    select
        customer_id,
        cast(date_trunc('month', order_date) as date) as order_month,
        cast(date_trunc('month', case when delivery_days is not null
                                      then order_date + delivery_days else order_date end)
             as date) as outcome_month,
        status = 'paid' as is_paid,
        status = 'returned' as is_returned,
        coalesce(delivery_days > {late_delivery_days}, false) as is_late,
        coupon_id is not null as is_coupon,
        delivery_days,
        case when status = 'paid' then gmv else 0 end as paid_gmv,
        case when status = 'paid' then discount else 0 end as paid_discount,
        order_id
    from orders
),

monthly as (
    select customer_id, month,
           sum(visits) as visits, sum(recent_visits) as recent_visits, sum(views) as views,
           sum(add_to_carts) as add_to_carts,
           sum(searches) as searches, sum(competitor_searches) as competitor_searches,
           sum(promo_views) as promo_views, sum(reviews) as reviews,
           sum(active_days) as active_days, sum(cart_days) as cart_days,
           sum(cart_without_order_days) as cart_without_order_days,
           sum(orders) as orders, sum(paid_orders) as paid_orders, sum(paid_gmv) as paid_gmv,
           sum(paid_discount) as paid_discount, sum(coupon_orders) as coupon_orders,
           sum(returned_orders) as returned_orders, sum(delivery_days_sum) as delivery_days_sum,
           sum(deliveries) as deliveries, sum(late_deliveries) as late_deliveries,
           sum(complaints) as complaints, sum(inquiries) as inquiries,
           sum(response_minutes_sum) as response_minutes_sum, sum(responses) as responses,
           sum(satisfaction_sum) as satisfaction_sum,
           sum(satisfaction_ratings) as satisfaction_ratings,
           sum(referrals) as referrals
    from (
        select customer_id, month, visits, recent_visits, views, add_to_carts, searches,
               competitor_searches,
               promo_views, reviews, active_days, cart_days, cart_without_order_days
        from activity_months
        union all by name
        select customer_id, order_month as month, count(*) as orders,
               count(*) filter (where is_paid) as paid_orders, sum(paid_gmv) as paid_gmv,
               sum(paid_discount) as paid_discount,
               count(*) filter (where is_coupon) as coupon_orders
        from order_facts group by all
        union all by name
        select customer_id, outcome_month as month,
               count(*) filter (where is_returned) as returned_orders,
               sum(delivery_days) as delivery_days_sum, count(delivery_days) as deliveries,
               count(*) filter (where is_late) as late_deliveries
        from order_facts group by all
        union all by name
        select customer_id, cast(date_trunc('month', opened_at) as date) as month,
               count(*) filter (where kind = 'complaint') as complaints,
               count(*) filter (where kind = 'inquiry') as inquiries,
               sum(first_response_minutes) as response_minutes_sum,
               count(first_response_minutes) as responses,
               sum(satisfaction) as satisfaction_sum, count(satisfaction) as satisfaction_ratings
        from tickets group by all
        union all by name
        select referrer_id as customer_id,
               cast(date_trunc('month', referred_at) as date) as month,
               count(*) as referrals
        from referrals group by all
    ) as facts
    group by all
),

candidates as (
    select customers.customer_id, customers.signup_at, customers.signup_date, customers.region,
           snapshots.*, grid_start.first_month,
           greatest(customers.signup_date, bounds.first_day) as observed_since
    from customers
    cross join bounds
    inner join grid_start on customers.customer_id = grid_start.customer_id
    inner join snapshots on customers.signup_at < cast(snapshots.snapshot_date as timestamp)
),

-- Running recency per customer and month, looked up by ASOF: the last interaction / order in
-- a grid month up to the feature month, and the first interaction from the snapshot month on.
-- The interaction day before a month's last one is the month's second-last day, or, with one
-- active day, the last day of the customer's previous active month (any month, as dbt's lag over
-- all days); a month's latest return from churn is its latest intra-month one, else its first
-- day when that came more than churn_days days after the previous active month's last day.
recency as (
    select customer_id, month,
           max(last_at) over w as last_at,
           max(last_order_at) over w as last_order_at,
           max(previous_day) over w as previous_day,
           max(churn_return_day) over w as churn_return_day,
           first_at
    from (
        select activity_months.customer_id, activity_months.month, last_at, last_order_at,
               first_at,
               case when active_days >= 2 then second_last_day
                    else lag(last_day) over m end as previous_day,
               coalesce(intra_month_returns.return_day,
                        case when date_diff('day', lag(last_day) over m, first_day) > {churn_days}
                             then first_day end) as churn_return_day
        from activity_months
        left join intra_month_returns using (customer_id, month)
        window m as (partition by activity_months.customer_id order by activity_months.month)
    ) as activity_months
    inner join grid_start using (customer_id)
    where month >= grid_start.first_month and month <= grid_start.last_month
    window w as (partition by customer_id order by month
                 rows between unbounded preceding and current row)
),

alive as (
    select candidates.*, recency.last_at, recency.last_order_at, recency.previous_day,
           recency.churn_return_day,
           greatest(coalesce(recency.last_at, candidates.signup_at), candidates.signup_at)
               as last_sign_of_life_at
    from candidates
    asof left join recency
        on candidates.customer_id = recency.customer_id
        and candidates.feature_month >= recency.month
    where date_diff('day', cast(greatest(coalesce(recency.last_at, candidates.signup_at),
                                         candidates.signup_at) as date),
                    candidates.snapshot_date) <= {churn_days}
),

windows as (
    select
        customer_id, snapshot_date,
        sum(visits) filter (where k = 0) as visits_1m,
        sum(recent_visits) filter (where k = 0) as recent_visits,
        sum(visits) as visits_12m,
        sum(visits) filter (where k <= 2) as visits_3m,
        sum(visits) filter (where k between 1 and 2) as visits_prior_2m,
        sum(active_days) filter (where k = 0) as active_days_1m,
        sum(views) filter (where k = 0) as views_1m,
        sum(reviews) filter (where k <= 2) as reviews_3m,
        sum(add_to_carts) filter (where k = 0) as add_to_cart_1m,
        sum(cart_days) filter (where k = 0) as cart_days_1m,
        sum(cart_without_order_days) filter (where k = 0) as cart_without_order_days_1m,
        sum(promo_views) filter (where k = 0) as promo_views_1m,
        sum(searches) filter (where k = 0) as searches_1m,
        sum(searches) filter (where k <= 2) as searches_3m,
        sum(competitor_searches) filter (where k = 0) as competitor_searches_1m,
        sum(competitor_searches) filter (where k <= 2) as competitor_searches_3m,
        sum(orders) filter (where k = 0) as orders_1m,
        sum(orders) filter (where k <= 2) as orders_3m,
        sum(orders) as orders_12m,
        sum(paid_orders) as paid_orders_12m,
        sum(paid_gmv) filter (where k = 0) as gmv_1m,
        sum(paid_gmv) filter (where k <= 2) as gmv_3m,
        sum(paid_gmv) as gmv_12m,
        sum(paid_gmv) filter (where k between 1 and 2) as gmv_prior_2m,
        sum(paid_discount) as paid_discount_12m,
        sum(coupon_orders) as coupon_orders_12m,
        sum(returned_orders) as returns_12m,
        sum(delivery_days_sum) filter (where k <= 2) as delivery_days_sum_3m,
        sum(deliveries) filter (where k <= 2) as deliveries_3m,
        sum(late_deliveries) filter (where k <= 2) as late_deliveries_3m,
        sum(complaints) filter (where k <= 2) as complaints_3m,
        sum(complaints) as complaints_12m,
        sum(inquiries) filter (where k <= 2) as inquiries_3m,
        sum(response_minutes_sum) filter (where k <= 2) as response_minutes_sum_3m,
        sum(responses) filter (where k <= 2) as responses_3m,
        sum(satisfaction_sum) filter (where k <= 2) as satisfaction_sum_3m,
        sum(satisfaction_ratings) filter (where k <= 2) as satisfaction_ratings_3m,
        sum(referrals) as referrals_12m
    from (
        -- Months k = 0 .. 11 before the snapshot's feature month, inside the customer's grid.
        select alive.customer_id, alive.snapshot_date,
               date_diff('month', m.month, alive.feature_month) as k, m.* exclude (customer_id)
        from alive
        inner join monthly as m
            on m.customer_id = alive.customer_id
            and m.month between cast(alive.feature_month - interval 11 month as date)
                            and alive.feature_month
            and m.month >= alive.first_month
    )
    group by customer_id, snapshot_date
),

categories as (
    select alive.customer_id, alive.snapshot_date,
           count(distinct order_items.category) as category_breadth_3m
    from alive
    inner join order_facts
        on order_facts.customer_id = alive.customer_id
        and order_facts.is_paid
        and order_facts.order_month between cast(alive.feature_month - interval 2 month as date)
                                        and alive.feature_month
    inner join order_items on order_items.order_id = order_facts.order_id
    group by all
),

next_interaction as (
    select alive.customer_id, alive.snapshot_date, recency.first_at as next_interaction_at
    from alive
    asof left join (
        select customer_id, month, first_at from recency
    ) as recency
        on alive.customer_id = recency.customer_id
        and recency.month >= alive.snapshot_date
),

tiers as (
    select alive.customer_id, alive.snapshot_date, memberships.tier, memberships.expires_at
    from alive
    asof left join memberships
        on alive.customer_id = memberships.customer_id
        and cast(alive.snapshot_date as timestamp) > memberships.changed_at
),

features as (
    select
        a.customer_id,
        a.snapshot_date,
        cast(date_diff('day', a.signup_date, a.snapshot_date) as integer) as tenure_days,
        cast(date_diff('day', cast(a.last_sign_of_life_at as date), a.snapshot_date) as integer)
            as days_since_last_interaction,
        cast(date_diff('day', cast(a.last_order_at as date), a.snapshot_date) as integer)
            as days_since_last_order,
        coalesce(w.visits_1m, 0) / nullif(greatest(1, least(
            date_diff('day', a.feature_month, a.snapshot_date),
            date_diff('day', a.observed_since, a.snapshot_date))) / 7.0, 0)
            as visits_per_week_1m,
        coalesce(w.visits_3m, 0) / nullif(greatest(1, least(
            date_diff('day', cast(a.snapshot_date - interval 3 month as date), a.snapshot_date),
            date_diff('day', a.observed_since, a.snapshot_date))) / 7.0, 0)
            as visits_per_week_3m,
        coalesce(w.visits_1m, 0) / nullif(w.visits_prior_2m / 2.0, 0) as visit_trend,
        cast(coalesce(w.recent_visits, 0) as integer) as recent_visits,
        coalesce(w.visits_12m, 0) / nullif(greatest(1, least(
            date_diff('day', cast(a.snapshot_date - interval 12 month as date), a.snapshot_date),
            date_diff('day', a.observed_since, a.snapshot_date))) / 7.0, 0)
            as visits_per_week_12m,
        cast(null as double) as visit_overdue_ratio,  -- filled in the final select
        cast(date_diff('day', a.previous_day, cast(a.last_at as date)) as integer)
            as silence_before_last_interaction_days,
        cast(date_diff('day', a.churn_return_day, a.snapshot_date) as integer)
            as days_since_churn_return,
        cast(coalesce(w.active_days_1m, 0) as integer) as active_days_1m,
        cast(coalesce(w.views_1m, 0) as integer) as views_1m,
        cast(coalesce(w.reviews_3m, 0) as integer) as reviews_3m,
        cast(coalesce(w.add_to_cart_1m, 0) as integer) as add_to_cart_1m,
        cast(coalesce(w.add_to_cart_1m, 0) as double) / nullif(w.visits_1m, 0)
            as add_to_cart_per_visit_1m,
        cast(w.cart_without_order_days_1m as double) / nullif(w.cart_days_1m, 0)
            as cart_without_order_ratio_1m,
        cast(coalesce(w.promo_views_1m, 0) as integer) as promo_views_1m,
        cast(coalesce(w.promo_views_1m, 0) as double) / nullif(w.visits_1m, 0)
            as promo_views_per_visit_1m,
        cast(coalesce(w.searches_1m, 0) as integer) as searches_1m,
        cast(coalesce(w.competitor_searches_1m, 0) as integer) as competitor_searches_1m,
        cast(w.competitor_searches_3m as double) / nullif(w.searches_3m, 0)
            as competitor_search_share_3m,
        cast(coalesce(w.orders_1m, 0) as integer) as orders_1m,
        cast(coalesce(w.orders_3m, 0) as integer) as orders_3m,
        cast(coalesce(w.orders_12m, 0) as integer) as orders_12m,
        cast(coalesce(w.gmv_1m, 0) as double) as gmv_1m,
        cast(coalesce(w.gmv_3m, 0) as double) as gmv_3m,
        cast(coalesce(w.gmv_12m, 0) as double) as gmv_12m,
        w.gmv_12m / nullif(w.paid_orders_12m, 0) as aov_12m,
        coalesce(w.gmv_1m, 0) / nullif(w.gmv_prior_2m / 2.0, 0) as spend_trend,
        w.paid_discount_12m / nullif(w.gmv_12m + w.paid_discount_12m, 0) as discount_share_12m,
        cast(w.coupon_orders_12m as double) / nullif(w.orders_12m, 0) as coupon_order_share_12m,
        cast(coalesce(w.returns_12m, 0) as integer) as returns_12m,
        cast(w.delivery_days_sum_3m as double) / nullif(w.deliveries_3m, 0)
            as avg_delivery_days_3m,
        cast(coalesce(w.late_deliveries_3m, 0) as integer) as late_deliveries_3m,
        cast(coalesce(w.complaints_3m, 0) as integer) as complaints_3m,
        cast(coalesce(w.complaints_12m, 0) as integer) as complaints_12m,
        cast(coalesce(w.inquiries_3m, 0) as integer) as inquiries_3m,
        w.response_minutes_sum_3m / nullif(w.responses_3m, 0) as avg_first_response_minutes_3m,
        cast(w.satisfaction_sum_3m as double) / nullif(w.satisfaction_ratings_3m, 0)
            as avg_satisfaction_3m,
        cast(coalesce(c.category_breadth_3m, 0) as integer) as category_breadth_3m,
        cast(coalesce(case t.tier when 'basic' then 0 when 'silver' then 1 when 'gold' then 2
                                  when 'platinum' then 3 end, 0) as integer) as tier_rank,
        cast(date_diff('day', a.snapshot_date, cast(t.expires_at as date)) as integer)
            as days_to_tier_expiry,
        cast(coalesce(w.referrals_12m, 0) as integer) as referrals_12m,
        cast(case when not a.label_complete then null
                  when n.next_interaction_at is null
                       or n.next_interaction_at >= cast(a.label_end as timestamp) then 1
                  else 0 end as integer) as is_churned_label,
        coalesce(t.tier, 'basic') as tier,
        a.region
    from alive as a
    left join windows as w using (customer_id, snapshot_date)
    left join categories as c using (customer_id, snapshot_date)
    left join next_interaction as n using (customer_id, snapshot_date)
    left join tiers as t using (customer_id, snapshot_date)
)

select * replace (visits_per_week_12m * days_since_last_interaction / 7.0 as visit_overdue_ratio)
from features
"""


def hand_query(settings: Settings, table: str = QUERY_TABLE) -> str:
    return HAND_QUERY.format(
        table=table, late_delivery_days=int(settings.late_delivery_days),
        churn_days=int(settings.churn_days), churn_window_days=int(settings.churn_window_days),
        snapshot_cadence_months=int(settings.snapshot_cadence_months),
        recent_window_days=int(settings.recent_window_days))


# --- child processes (each measured on its own: wall time and peak RSS) ----------------------

@dataclass
class Measured:
    wall_s: float
    cpu_s: float       # user + system CPU of the process (and the children it waited for)
    peak_mib: float    # peak resident set size
    returncode: int


def _run_measured(cmd: list[str], env: dict | None = None, cwd: Path | None = None,
                  log: Path | None = None) -> Measured:
    """Run `cmd` as a child process and measure it on its own (os.wait4's rusage)."""
    out = open(log, "w") if log else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log:
            out.close()
    return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0,
                    proc.returncode)


def _query_child(path: str) -> None:
    """Hidden mode: run the hand-written query on `path` (raw tables there) in this process."""
    import duckdb

    settings = Settings()
    con = duckdb.connect(path, config={"memory_limit": settings.duckdb_memory_limit,
                                       "preserve_insertion_order": False})
    try:
        # DuckDB estimates the inequality join in `candidates` at ~1 row and would then run the
        # ASOF joins as nested loops (hours at 100k customers); keep them ASOF joins.
        con.execute("set asof_loop_join_threshold = 0")
        con.execute("create schema if not exists bench")
        con.execute(hand_query(settings))
    finally:
        con.close()


def _simulate_child(path: str, customers: int, months: int, seed: int) -> None:
    import duckdb

    from sources.simulator import SimulationConfig, simulate_to_duckdb

    con = duckdb.connect(path)
    try:
        simulate_to_duckdb(con, SimulationConfig(customers=customers, months=months, seed=seed))
    finally:
        con.close()


def _dbt_env(warehouse: Path, work: Path) -> dict:
    return {**os.environ, "CHURN_DUCKDB_PATH": str(warehouse), "CHURN_DBT_TARGET": "local",
            "CHURN_DUCKDB_MEMORY_LIMIT": Settings().duckdb_memory_limit,
            "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}


def _dbt_cmd(project: Path, *args: str) -> list[str]:
    return [str(DBT_EXECUTABLE), *args, "--profiles-dir", str(project),
            "--project-dir", str(project), "--vars", Settings().dbt_vars_json()]


# --- comparison --------------------------------------------------------------------------------

def compare(dbt_path: Path, query_path: Path) -> dict:
    """EXCEPT ALL both ways (doubles rounded); on a difference, a per-key tolerance check."""
    import duckdb

    con = duckdb.connect(str(dbt_path), read_only=True)
    try:
        con.execute(f"attach '{query_path}' as q (read_only)")
        cols = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() and table_schema = 'marts' "
            "and table_name = 'customer_snapshots' order by ordinal_position").fetchall()
        qcols = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = 'q' and table_schema = 'bench' "
            "and table_name = 'customer_snapshots' order by ordinal_position").fetchall()
        result = {"dbt_rows": con.execute("select count(*) from marts.customer_snapshots")
                  .fetchone()[0],
                  "query_rows": con.execute("select count(*) from q.bench.customer_snapshots")
                  .fetchone()[0],
                  "schema_equal": cols == qcols}
        if not result["schema_equal"]:
            result["schema_diff"] = sorted(set(cols) ^ set(qcols))
            result["equal"] = False
            return result
        select = ", ".join(f"round({c}, {ROUND_DIGITS}) as {c}" if t == "DOUBLE" else c
                           for c, t in cols)
        a = f"select {select} from marts.customer_snapshots"
        b = f"select {select} from q.bench.customer_snapshots"
        count = "select count(*) from ({} except all {})"
        result["only_dbt"] = con.execute(count.format(a, b)).fetchone()[0]
        result["only_query"] = con.execute(count.format(b, a)).fetchone()[0]
        result["equal"] = result["only_dbt"] == 0 and result["only_query"] == 0
        if not result["equal"]:
            # Rounding-boundary noise (sums in another order) vs a real difference.
            checks = " or ".join(
                f"not (abs(d.{c} - q.{c}) <= 1e-9 * greatest(1, abs(d.{c})) "
                f"or (d.{c} is null and q.{c} is null))" if t == "DOUBLE" else
                f"d.{c} is distinct from q.{c}" for c, t in cols)
            result["differ_beyond_1e-9"] = con.execute(
                f"select count(*) from marts.customer_snapshots d full join "
                f"q.bench.customer_snapshots q using (customer_id, snapshot_date) where {checks}"
            ).fetchone()[0]
            result["examples"] = con.execute(
                f"select * from ({a} except all {b}) limit 5").fetchall()
            # Same rows, a double summed in another order landing on the other side of a
            # rounding boundary (e.g. x.xxxxxx5 exactly): equal within 1e-9.
            result["rounding_boundary_rows"] = result["only_dbt"]
            result["equal"] = (result["differ_beyond_1e-9"] == 0
                               and result["dbt_rows"] == result["query_rows"])
        return result
    finally:
        con.close()


def model_timings(target: Path, top: int = 6) -> list[tuple[str, float]]:
    results = json.loads((target / "run_results.json").read_text())["results"]
    times = [(r["unique_id"].split(".")[-1], r["execution_time"]) for r in results]
    return sorted(times, key=lambda x: -x[1])[:top]


# --- driver ------------------------------------------------------------------------------------

def bench_one(customers: int, args, work: Path) -> dict:
    raw_dir = Path(args.raw_dir) if args.raw_dir else work
    raw_dir.mkdir(parents=True, exist_ok=True)
    raw = raw_dir / f"raw_{customers}_{args.months}m_s{args.seed}.duckdb"
    if not raw.exists():
        print(f"[{customers:,}] simulating {args.months} months into {raw} ...", flush=True)
        m = _run_measured([sys.executable, __file__, "--_simulate", str(raw), "--customers",
                           str(customers), "--months", str(args.months), "--seed",
                           str(args.seed)], cwd=ROOT)
        if m.returncode:
            raise SystemExit(f"simulation failed (exit {m.returncode})")
        print(f"[{customers:,}] simulated in {m.wall_s:.1f}s", flush=True)
    dbt_wh, query_wh = work / f"dbt_{customers}.duckdb", work / f"query_{customers}.duckdb"
    dbt_work = work / f"dbt_work_{customers}"
    env = _dbt_env(dbt_wh, dbt_work)
    project = Path(args.dbt_project_dir).resolve()

    # The pipeline prepares the manifest before it runs dbt; do the same, untimed.
    shutil.copy(raw, dbt_wh)
    if _run_measured(_dbt_cmd(project, "parse"), env=env, cwd=project,
                     log=work / "dbt_parse.log").returncode:
        raise SystemExit(f"dbt parse failed; see {work / 'dbt_parse.log'}")

    queries, dbts, models = [], [], []
    for rep in range(args.repeat):
        # Fresh copies of the raw warehouse for both, alternating the two runs.
        shutil.copy(raw, dbt_wh)
        shutil.copy(raw, query_wh)
        print(f"[{customers:,}] run {rep + 1}/{args.repeat}: hand-written query ...", flush=True)
        q = _run_measured([sys.executable, __file__, "--_query", str(query_wh)], cwd=ROOT,
                          log=work / "query.log")
        if q.returncode:
            raise SystemExit(f"hand query failed; see {work / 'query.log'}")
        print(f"[{customers:,}] run {rep + 1}/{args.repeat}: dbt run --select {SELECTOR} ...",
              flush=True)
        d = _run_measured(_dbt_cmd(project, "run", "--select", SELECTOR), env=env, cwd=project,
                          log=work / "dbt_run.log")
        if d.returncode:
            raise SystemExit(f"dbt run failed; see {work / 'dbt_run.log'}")
        run_results = json.loads((dbt_work / "target" / "run_results.json").read_text())
        print(f"[{customers:,}]   query {q.wall_s:.1f}s, dbt {d.wall_s:.1f}s "
              f"(ratio {d.wall_s / q.wall_s:.2f}x)", flush=True)
        queries.append(q)
        dbts.append((d, run_results.get("elapsed_time")))
        models.append(dict(model_timings(dbt_work / "target", top=100)))

    q_wall = median(q.wall_s for q in queries)
    d_wall = median(d.wall_s for d, _ in dbts)
    model_median = {m: median(run[m] for run in models) for m in models[0]}
    return {
        "customers": customers, "repeat": args.repeat,
        "query_wall_s": q_wall, "query_cpu_s": median(q.cpu_s for q in queries),
        "query_peak_mib": max(q.peak_mib for q in queries),
        "dbt_wall_s": d_wall, "dbt_cpu_s": median(d.cpu_s for d, _ in dbts),
        "dbt_elapsed_s": median(e for _, e in dbts),
        "dbt_peak_mib": max(d.peak_mib for d, _ in dbts),
        "ratio": d_wall / q_wall,
        "ratios": [d.wall_s / q.wall_s for (d, _), q in zip(dbts, queries)],
        "models": sorted(model_median.items(), key=lambda x: -x[1])[:6],
        "compare": compare(dbt_wh, query_wh),
    }


def report(r: dict, max_ratio: float) -> None:
    c = r["compare"]
    runs = f", median of {r['repeat']} runs" if r["repeat"] > 1 else ""
    print(f"\n== {r['customers']:,} customers{runs} ==")
    print(f"dbt run (+customer_snapshots): {r['dbt_wall_s']:7.1f} s wall "
          f"({r['dbt_elapsed_s']:.1f} s inside dbt), {r['dbt_cpu_s']:7.1f} s CPU, "
          f"peak {r['dbt_peak_mib']:,.0f} MiB")
    print(f"hand-written query:            {r['query_wall_s']:7.1f} s wall, "
          f"{' ' * 23}{r['query_cpu_s']:7.1f} s CPU, peak {r['query_peak_mib']:,.0f} MiB")
    flag = "OK" if r["ratio"] <= max_ratio else f"ABOVE TARGET {max_ratio}x"
    each = (" (runs: " + ", ".join(f"{x:.2f}x" for x in r["ratios"]) + ")"
            if r["repeat"] > 1 else "")
    print(f"ratio dbt / query:             {r['ratio']:7.2f}x wall  {flag}{each}; "
          f"{r['dbt_cpu_s'] / r['query_cpu_s']:.2f}x CPU")
    print("slowest dbt models: " + ", ".join(f"{m} {t:.1f}s" for m, t in r["models"]))
    if c["equal"]:
        print(f"outputs equal: {c['dbt_rows']:,} rows (EXCEPT ALL both ways, doubles rounded to "
              f"{ROUND_DIGITS} decimals)")
        if c.get("rounding_boundary_rows"):
            print(f"  ({c['rounding_boundary_rows']} rows differ only where a double summed in "
                  f"another order rounds the other way at the {ROUND_DIGITS}th decimal; all "
                  f"columns of all rows agree within 1e-9)")
    elif c.get("schema_equal") is False:
        print(f"OUTPUTS DIFFER in schema: {c['schema_diff']}")
    else:
        print(f"OUTPUTS DIFFER: dbt {c['dbt_rows']:,} rows, query {c['query_rows']:,}; "
              f"{c['only_dbt']} only in dbt, {c['only_query']} only in the query; "
              f"{c['differ_beyond_1e-9']} keys differ beyond 1e-9; e.g. {c['examples'][:2]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", default="100000",
                        help="comma-separated simulated shop sizes (default 100000)")
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--raw-dir", help="keep / reuse simulated raw warehouses here")
    parser.add_argument("--work-dir", help="working folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    parser.add_argument("--max-ratio", type=float, default=1.5)
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate query and dbt this many times; report medians")
    parser.add_argument("--dbt-project-dir", default=str(DBT_PROJECT_DIR),
                        help="dbt project to benchmark (e.g. an older checkout, for A/B runs)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--_query", help=argparse.SUPPRESS)
    parser.add_argument("--_simulate", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._query:
        _query_child(args._query)
        return 0
    if args._simulate:
        _simulate_child(args._simulate, int(args.customers), args.months, args.seed)
        return 0

    sizes = [int(x.replace("_", "")) for x in args.customers.split(",") if x.strip()]
    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="dbt_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for n in sizes:
            r = bench_one(n, args, work)
            report(r, args.max_ratio)
            results.append(r)
    finally:
        if not args.keep and not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)
        elif results:
            print(f"\nworking files kept in {work}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    ok = all(r["compare"]["equal"] and r["ratio"] <= args.max_ratio for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
