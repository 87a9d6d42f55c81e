"""The customer marts on a small simulated shop: built with all their data and unit tests
(the `built_warehouse` fixture fails on any dbt failure), and consistent with each other."""

from __future__ import annotations

from tests.dbt.conftest import query


def test_lifecycle_covers_every_customer_signed_up_by_the_as_of_day(built_warehouse):
    missing = query(built_warehouse, """
        select count(*) as n
        from staging.stg_customers as c
        cross join intermediate.int_data_bounds as b
        left join marts.customer_lifecycle as l using (customer_id)
        where c.signup_date <= b.as_of_date and l.customer_id is null
    """).n.iloc[0]
    assert missing == 0


def test_lifecycle_stages_follow_their_thresholds(built_warehouse):
    stages = query(built_warehouse, """
        select lifecycle_stage, operating_layer,
               min(days_since_last_interaction) as min_idle,
               max(days_since_last_interaction) as max_idle,
               max(days_since_last_visit) as max_no_visit
        from marts.customer_lifecycle group by all
    """)
    assert {"churned", "warning", "active"} <= set(stages.lifecycle_stage)
    churned = stages[stages.lifecycle_stage == "churned"]
    assert (churned.min_idle >= 30).all()
    assert (churned.operating_layer == "silent_churned").all()
    others = stages[stages.lifecycle_stage != "churned"]
    assert (others.max_idle < 30).all()
    assert (others.operating_layer != "silent_churned").all()
    calm = stages[stages.lifecycle_stage.isin(["active", "hesitating", "recovered"])]
    assert (calm.max_no_visit < 3).all()


def test_high_value_is_the_double_filter(built_warehouse):
    wrong = query(built_warehouse, """
        select count(*) as n from marts.customer_value
        where is_high_value <> coalesce(gmv_percentile >= 80 and frequency_percentile >= 80, false)
    """).n.iloc[0]
    assert wrong == 0


def test_snapshot_population_is_churn_rates_active_at_start(built_warehouse):
    """Both marts define 'not churned at a month start' the same way."""
    pairs = query(built_warehouse, """
        select r.month_start, r.active_at_start, count(s.customer_id) as snapshot_rows
        from marts.churn_rates as r
        left join marts.customer_snapshots as s on s.snapshot_date = r.month_start
        where r.dimension = 'overall'
        group by all
    """)
    assert len(pairs) >= 3
    assert (pairs.active_at_start == pairs.snapshot_rows).all()


def test_churn_and_retention_rates_are_complements(built_warehouse):
    rates = query(built_warehouse, "select * from marts.churn_rates where dimension = 'overall'")
    assert ((rates.churn_rate + rates.retention_rate - 1).abs() < 1e-9).all()
    assert 0.0 < rates.churn_rate.mean() < 0.5


def test_cohort_retention_has_every_grain(built_warehouse):
    grains = query(built_warehouse, """
        select period_grain, min(period_offset) as first, max(period_offset) as last
        from marts.cohort_retention group by 1
    """).set_index("period_grain")
    assert set(grains.index) == {"day", "week", "month"}
    assert grains.loc["day", "first"] == 1
