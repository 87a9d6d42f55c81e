"""Twenty seeds of a simulated shop stacked in one warehouse, with the effect tables built once.

Each seed's shop (6,000 customers x 15 months, seeds 100-119, chosen before running) keeps the
raw rows of the customers its past waves targeted, ids prefixed by seed (`s<seed>_`); its
planted truth (truth.campaign_effects) is copied with the campaign ids prefixed the same way.
The coverage and ranking tests read the same build: none picks or drops a seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dbt_runner import run_dbt

from sources.contract import TABLES, create_raw_schema
from sources.simulator import SimulationConfig, simulate_to_duckdb

SEEDS = range(100, 120)
CUSTOMERS = 6000
MONTHS = 15
COPIED = ("customers", "orders", "events", "recall_campaigns", "recall_assignments",
          "recall_touches")
TRUTH_COLUMNS = ("layer", "offer", "variant", "channel", "metric", "month", "true_effect",
                 "customers")


def _prefixed(table, seed: int) -> str:
    cols = []
    for c in table.columns:
        cols.append(f"'s{seed}_' || {c.name}" if c.name.endswith("_id") else c.name)
    return ", ".join(cols)


def _stack(warehouse, tmp) -> None:
    with duckdb.connect(str(warehouse)) as con:
        create_raw_schema(con)
        con.execute("create schema truth")
        for seed in SEEDS:
            path = tmp / f"seed{seed}.duckdb"
            with duckdb.connect(str(path)) as sim:
                simulate_to_duckdb(sim, SimulationConfig(customers=CUSTOMERS, months=MONTHS,
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
                columns = ", ".join(f'"{c}"' for c in table.column_names)
                con.execute(f"insert into raw.{table.name} ({columns}) "
                            f"select {_prefixed(table, seed)} from s.raw.{table.name} {where}")
            select = (f"select {seed} as seed, 's{seed}_' || campaign_id as campaign_id, "
                      f"{', '.join(TRUTH_COLUMNS)} from s.truth.campaign_effects")
            if seed == SEEDS[0]:
                con.execute(f"create table truth.campaign_effects as {select}")
            else:
                con.execute(f"insert into truth.campaign_effects {select}")
            con.execute("detach s")


@dataclass(frozen=True)
class StackedSeeds:
    warehouse: Path
    seeds: tuple[int, ...]


@pytest.fixture(scope="session")
def stacked_effects(tmp_path_factory) -> StackedSeeds:
    """The stacked warehouse with the per-layer and per-variant effect tables built."""
    tmp = tmp_path_factory.mktemp("stacked_seeds")
    warehouse = tmp / "warehouse.duckdb"
    _stack(warehouse, tmp)
    run_dbt(warehouse, "+recall_effect_by_layer +recall_effect_variants")
    return StackedSeeds(warehouse, tuple(SEEDS))
