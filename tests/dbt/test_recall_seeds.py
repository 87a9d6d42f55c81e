"""The recall playbook seeds: in step with the contract and the simulator's past waves, and
loaded by the pipeline's dbt stage, before the recall stage that reads them."""

from __future__ import annotations

import csv

from orchestration.environment import DBT_PROJECT_DIR
from sources.contract import CHURN_TYPES, LAYERS
from sources.simulator import config as simulator_config

SEEDS = ("recall_layer_offers", "recall_wave_order")


def _seed(name: str) -> list[dict]:
    with (DBT_PROJECT_DIR / "seeds" / f"{name}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_layer_offers_are_the_simulators_and_cover_every_layer():
    offers = {row["layer"]: row["offer"] for row in _seed("recall_layer_offers")}
    assert set(offers) == set(LAYERS)
    assert offers == simulator_config.LAYER_OFFERS


def test_wave_order_covers_every_churn_type_once_in_domain_order():
    waves = {row["churn_type"]: int(row["wave_number"]) for row in _seed("recall_wave_order")}
    assert set(waves) == set(CHURN_TYPES)
    assert sorted(waves.values()) == list(range(1, len(waves) + 1))
    # domain.md 4: silent first, then service-dissatisfied, then competitor-attracted
    assert waves["silent"] < waves["service_dissatisfied"] < waves["competitor_attracted"]
    # the simulator's past waves ran in the same order
    past = [churn_type for _, churn_type, _ in sorted(simulator_config.PAST_WAVES,
                                                      key=lambda wave: -wave[2])]
    assert past == sorted(past, key=waves.get)


def test_seeds_are_dbt_stage_assets_upstream_of_recall_segments(dbt_manifest):
    import dagster as dg

    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey("recall_segments")).parent_keys
    for seed in SEEDS:
        key = dg.AssetKey(seed)
        assert key in upstream, seed
        # materialized in the `dbt` stage (orchestration.runner.STAGES), before `recall`
        assert graph.get(key).group_name == "dbt", seed
