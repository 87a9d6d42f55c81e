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


def test_dagster_definitions_validate(dbt_manifest, tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "CHURN_HOME": str(tmp_path / "h")}
    dagster = Path(sys.executable).parent / "dagster"
    done = subprocess.run([str(dagster), "definitions", "validate", "-m",
                           "orchestration.definitions"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
