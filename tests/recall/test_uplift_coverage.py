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
from dbt_runner import run_dbt

from sources.contract import TABLES, create_raw_schema
from sources.simulator import SimulationConfig, simulate_to_duckdb
from sources.simulator.config import PAST_WAVES

SEEDS = range(100, 120)
CUSTOMERS = 6000
COPIED = ("customers", "orders", "events", "recall_campaigns", "recall_assignments",
          "recall_touches")


def _prefixed(table, seed: int) -> str:
    cols = []
    for c in table.columns:
        cols.append(f"'s{seed}_' || {c.name}" if c.name.endswith("_id") else c.name)
    return ", ".join(cols)


def _stack(warehouse, tmp) -> None:
    with duckdb.connect(str(warehouse)) as con:
        create_raw_schema(con)
        con.execute("create schema truth")
        con.execute("create table truth.campaign_effects (seed integer, campaign_id varchar, "
                    "layer varchar, true_effect double)")
        for seed in SEEDS:
            path = tmp / f"seed{seed}.duckdb"
            with duckdb.connect(str(path)) as sim:
                simulate_to_duckdb(sim, SimulationConfig(customers=CUSTOMERS, months=15,
                                                         seed=seed))
            con.execute(f"attach '{path}' as s (read_only)")
            targeted = "customer_id in (select customer_id from s.raw.recall_assignments)"
            for table in TABLES:
                if table.name not in COPIED:
                    continue
                where = ""
                if "customer_id" in table.column_names and table.name != "recall_assignments":
                    where = f"where {targeted}"
                if table.name == "events":
                    where += " and event_type in ('visit', 'login')"
                con.execute(f"insert into raw.{table.name} select {_prefixed(table, seed)} "
                            f"from s.raw.{table.name} {where}")
            con.execute("insert into truth.campaign_effects select ?, 's' || ? || '_' || "
                        "campaign_id, layer, sum(true_effect * customers) / sum(customers) "
                        "from s.truth.campaign_effects where metric = 'first_month_conversion' "
                        "and layer <> 'all' group by campaign_id, layer", [seed, seed])
            con.execute("detach s")


@pytest.fixture(scope="module")
def coverage(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("coverage")
    warehouse = tmp / "warehouse.duckdb"
    _stack(warehouse, tmp)
    run_dbt(warehouse, "+recall_effect_by_layer")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("""
            with per_seed as (
                select regexp_replace(e.campaign_id, '^s[0-9]+_', '') as wave, e.layer,
                       t.true_effect,
                       t.true_effect between e.conversion_uplift_lower
                                         and e.conversion_uplift_upper as covered,
                       0 between e.conversion_uplift_lower
                             and e.conversion_uplift_upper as covers_zero,
                       e.targeted_count + e.control_count as size
                from marts.recall_effect_by_layer e
                join truth.campaign_effects t using (campaign_id, layer)
                where e.arm = 'treatment')
            select wave, layer,
                   avg(true_effect) as true_effect,   -- the seed's own truth is used per row
                   count(*) as seeds,
                   sum(covered::int) as covered,
                   sum(covers_zero::int) as covers_zero,
                   avg(size) as mean_size
            from per_seed
            group by wave, layer order by 1, 2""").df()


def test_every_wave_and_layer_is_estimated_in_all_seeds(coverage):
    assert len(coverage) == 3 * len(PAST_WAVES)
    assert (coverage["seeds"] == len(SEEDS)).all(), coverage


def test_intervals_cover_the_planted_effect_in_17_of_20_seeds(coverage):
    print(coverage.to_string())
    low = coverage[coverage["covered"] < 17]
    assert low.empty, f"coverage below 17/20:\n{low.to_string()}"


def test_the_no_effect_layer_covers_zero_in_17_of_20_seeds(coverage):
    null_layer = coverage[coverage["true_effect"] == 0]
    assert not null_layer.empty
    assert (null_layer["covers_zero"] >= 17).all(), null_layer.to_string()
