"""The first-month uplift intervals recover the simulator's planted effects.

Twenty seeds of a small simulated shop are stacked in one warehouse (ids prefixed by seed) and
the effect tables are built once. For every past wave x pyramid layer, the 95% interval of the
treatment-minus-control conversion uplift must cover the planted effect in at least 17 of the
20 seeds, and the layer with no true effect must cover 0 as often. All 20 seeds are used: none
is picked or dropped. Waves test 2-3 variants each: the planted per-layer effect is the mean of the
variants' planted effects over their treated customers (truth.campaign_effects rows per
campaign x layer x variant, weighted by the variant's customers in the layer).
"""

from __future__ import annotations

import duckdb
import pytest

from sources.simulator.config import PAST_WAVES


@pytest.fixture(scope="module")
def coverage(stacked_effects):
    with duckdb.connect(str(stacked_effects.warehouse), read_only=True) as con:
        return con.execute("""
            with truth as (
                select campaign_id, layer,
                       sum(true_effect * customers) / sum(customers) as true_effect
                from truth.campaign_effects
                where metric = 'first_month_conversion' and layer <> 'all'
                group by campaign_id, layer),
            per_seed as (
                select regexp_replace(e.campaign_id, '^s[0-9]+_', '') as wave, e.layer,
                       t.true_effect,
                       t.true_effect between e.conversion_uplift_lower
                                         and e.conversion_uplift_upper as covered,
                       0 between e.conversion_uplift_lower
                             and e.conversion_uplift_upper as covers_zero,
                       e.targeted_count + e.control_count as size
                from marts.recall_effect_by_layer e
                join truth t using (campaign_id, layer)
                where e.arm = 'treatment')
            select wave, layer,
                   avg(true_effect) as true_effect,   -- the seed's own truth is used per row
                   count(*) as seeds,
                   sum(covered::int) as covered,
                   sum(covers_zero::int) as covers_zero,
                   avg(size) as mean_size
            from per_seed
            group by wave, layer order by 1, 2""").df()


def test_every_wave_and_layer_is_estimated_in_all_seeds(coverage, stacked_effects):
    assert len(coverage) == 3 * len(PAST_WAVES)
    assert (coverage["seeds"] == len(stacked_effects.seeds)).all(), coverage


def test_intervals_cover_the_planted_effect_in_17_of_20_seeds(coverage):
    print(coverage.to_string())
    low = coverage[coverage["covered"] < 17]
    assert low.empty, f"coverage below 17/20:\n{low.to_string()}"


def test_the_no_effect_layer_covers_zero_in_17_of_20_seeds(coverage):
    null_layer = coverage[coverage["true_effect"] == 0]
    assert not null_layer.empty
    assert (null_layer["covers_zero"] >= 17).all(), null_layer.to_string()
