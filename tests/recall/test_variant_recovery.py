"""The per-variant effect table recovers the planted truth (issue #15's acceptance tests).

On the 20 stacked seeds of conftest.py (6,000 customers x 15 months each, seeds 100-119):
- the planted best offer of each offer-testing past wave (silent, service, competitor: the
  variant with the largest planted first-month conversion effect) has the largest estimated
  conversion uplift in recall_effect_variants in at least 17 of the 20 seeds;
- every variant's 95% interval covers its planted average effect over its treated customers in
  at least 17 of the 20 seeds, for every metric with an interval: conversion, activation,
  next-day visit, recall rate (the wave's customers are all churned when assigned, so its
  planted effect is the conversion effect), incremental first-month GMV per targeted customer,
  and ROI (the GMV interval mapped through ROI's formula with the realised cost).
"""

from __future__ import annotations

import duckdb
import pytest

from sources.simulator.config import PAST_WAVES

MIN_SEEDS = 17
OFFER_WAVES = ("wave_silent", "wave_service", "wave_competitor")
# metric in recall_effect_variants -> (interval column prefix, planted metric)
INTERVALS = {
    "conversion": ("conversion_uplift", "first_month_conversion"),
    "activation": ("activation_uplift", "activation"),
    "next_day_visit": ("next_day_visit_uplift", "next_day_visit"),
    "recall": ("recall_uplift", "first_month_conversion"),
    "gmv": ("incremental_gmv_per_targeted", "first_month_gmv_per_customer"),
}


def _truth(con, metric: str) -> str:
    return (f"(select campaign_id, variant, true_effect from truth.campaign_effects "
            f"where layer = 'all' and metric = '{metric}')")


@pytest.fixture(scope="module")
def variants(stacked_effects):
    with duckdb.connect(str(stacked_effects.warehouse), read_only=True) as con:
        return con.execute("""
            select regexp_replace(campaign_id, '^s[0-9]+_', '') as wave, campaign_id, variant,
                   targeted_count, control_count, cost, conversion_uplift, is_winner
            from marts.recall_effect_variants where estimate_type = 'uplift'
            order by campaign_id, variant""").df()


def test_every_past_wave_variant_is_estimated_in_every_seed(variants, stacked_effects):
    per_wave = variants.groupby("wave")["campaign_id"].nunique()
    assert set(per_wave.index) == {cid for cid, _, _ in PAST_WAVES}
    assert (per_wave == len(stacked_effects.seeds)).all(), per_wave


def test_the_planted_best_offer_is_ranked_first_in_17_of_20_seeds(stacked_effects):
    with duckdb.connect(str(stacked_effects.warehouse), read_only=True) as con:
        ranked = con.execute(f"""
            with truth as {_truth(con, 'first_month_conversion')},
            best as (select campaign_id, arg_max(variant, true_effect) as best_variant
                     from truth group by campaign_id),
            top as (select campaign_id, arg_max(variant, conversion_uplift) as top_variant,
                           max(case when is_winner then variant end) as winner
                    from marts.recall_effect_variants where estimate_type = 'uplift'
                    group by campaign_id)
            select regexp_replace(campaign_id, '^s[0-9]+_', '') as wave,
                   sum((top_variant = best_variant)::int) as ranked_first,
                   sum((winner = best_variant)::int) as won,
                   count(*) as seeds
            from best join top using (campaign_id)
            group by wave order by wave""").df()
    print(ranked.to_string())
    offers = ranked[ranked["wave"].isin(OFFER_WAVES)]
    assert len(offers) == len(OFFER_WAVES)
    low = offers[offers["ranked_first"] < MIN_SEEDS]
    assert low.empty, f"best offer ranked first in fewer than {MIN_SEEDS} seeds:\n{low}"


@pytest.fixture(scope="module")
def coverage(stacked_effects):
    parts = []
    with duckdb.connect(str(stacked_effects.warehouse), read_only=True) as con:
        for name, (column, planted) in INTERVALS.items():
            parts.append(con.execute(f"""
                select '{name}' as metric,
                       regexp_replace(e.campaign_id, '^s[0-9]+_', '') as wave, e.variant,
                       count(*) as seeds,
                       sum((t.true_effect between e.{column}_lower and e.{column}_upper)::int)
                           as covered,
                       avg(t.true_effect) as mean_planted, avg(e.{column}) as mean_estimate
                from marts.recall_effect_variants e
                join {_truth(con, planted)} t using (campaign_id, variant)
                where e.estimate_type = 'uplift'
                group by all""").df())
        parts.append(con.execute(f"""
            with t as {_truth(con, 'first_month_gmv_per_customer')},
            planted as (
                select e.campaign_id, e.variant, e.roi_lower, e.roi_upper, e.roi,
                       (t.true_effect * e.targeted_count * {1.0} - e.cost) / e.cost as roi_true
                from marts.recall_effect_variants e join t using (campaign_id, variant)
                where e.estimate_type = 'uplift' and e.cost > 0)
            select 'roi' as metric, regexp_replace(campaign_id, '^s[0-9]+_', '') as wave,
                   variant, count(*) as seeds,
                   sum((roi_true between roi_lower and roi_upper)::int) as covered,
                   avg(roi_true) as mean_planted, avg(roi) as mean_estimate
            from planted group by all""").df())
    import pandas as pd

    return pd.concat(parts, ignore_index=True)


def test_every_variant_interval_covers_its_planted_effect_in_17_of_20_seeds(coverage,
                                                                             stacked_effects):
    print(coverage.sort_values(["metric", "wave", "variant"]).to_string())
    assert set(coverage["metric"]) == {*INTERVALS, "roi"}
    assert (coverage["seeds"] == len(stacked_effects.seeds)).all()
    low = coverage[coverage["covered"] < MIN_SEEDS]
    assert low.empty, f"coverage below {MIN_SEEDS}/20:\n{low.to_string()}"
