"""The Dagster code location loads, validates and has the documented groups."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_definitions_load_with_groups_and_checks(dbt_manifest):
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"raw", "dbt", "ml", "recall", "exports"} <= groups
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw/customers", "customer_snapshots", "churn_model", "churn_scores",
            "recall_segments", "recall_effect_first_month", "recall_effect_six_months",
            "crm_export"} <= keys
    assert any(c.asset_key.to_user_string() == "raw/orders" for c in graph.asset_check_keys)


def test_recall_models_depend_on_churn_scores(dbt_manifest):
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    import dagster as dg

    upstream = graph.get(dg.AssetKey("recall_candidates")).parent_keys
    assert dg.AssetKey("churn_scores") in upstream


def test_staged_runs_never_run_an_asset_before_its_parents(dbt_manifest):
    """`churn-recall demo` / `materialize` run one stage at a time: every asset of a stage's
    group, except one whose parents run later (recall_uplift, group ml, trains on the recall
    marts), which moves to its parents' stage; the wave (recall_wave) runs after targeting."""
    import dagster as dg

    from orchestration.defs.jobs import PARTITIONED
    from orchestration.definitions import defs
    from orchestration.runner import STAGES, stage_assets

    graph = defs.resolve_asset_graph()
    by_stage = stage_assets(defs, PARTITIONED)
    stage_of = {k: i for i, st in enumerate(STAGES) for k in by_stage[st]}
    grouped = {k for k in graph.get_all_asset_keys() if graph.get(k).group_name in STAGES}
    assert set(stage_of) == grouped - PARTITIONED.resolve(graph)
    assert sum(map(len, by_stage.values())) == len(stage_of)      # each in exactly one stage
    late = [(k.to_user_string(), p.to_user_string()) for k in stage_of
            for p in graph.get(k).parent_keys if stage_of.get(p, -1) > stage_of[k]]
    assert late == []
    recall = {k.to_user_string() for k in by_stage["recall"]}
    assert {"recall_uplift", "recall_targeting", "recall_segments", "recall_report"} <= recall
    assert dg.AssetKey("recall_uplift") in by_stage["recall"]
    assert graph.get(dg.AssetKey("recall_uplift")).group_name == "ml"
    assert dg.AssetKey("recall_targeting") in graph.get(dg.AssetKey("recall_segments")).parent_keys


def test_dagster_definitions_validate(dbt_manifest, tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "CHURN_HOME": str(tmp_path / "h")}
    dagster = Path(sys.executable).parent / "dagster"
    done = subprocess.run([str(dagster), "definitions", "validate", "-m",
                           "orchestration.definitions"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
