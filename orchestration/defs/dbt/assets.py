"""dbt models as Dagster assets, three selections around the Python assets they read:

- `churn_marts` (group `dbt`): staging, intermediate and the churn marts;
- `recall_marts` (`recall`): the recall marts, after `churn_scores` (a Python asset) scored
  every customer;
- `recall_wave` (`recall`): `recall_segments`, the wave to send, after `recall_targeting` (a
  Python asset reading `recall_marts`' candidates) chose each candidate's variant.

Every run passes the effective settings as dbt vars; dbt unit tests run in pytest (tests/dbt),
not on every materialization.
"""

import json

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.campaign_plan import dbt_vars
from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.resources import DUCKDB_POOL, PlatformResource
from orchestration.lib.dbt_manifest import require_manifest
from orchestration.lib.translator import ChurnDbtTranslator

RECALL_SELECTION = "path:models/marts/recall"
WAVE_SELECTION = "recall_segments"
# Tests on the largest staging views that re-prove what is already guaranteed upstream (keys,
# references and allowed values by the blocking raw contract suites; coalesced flags by the
# staging SQL). Each rescans every raw event: 140 s of a 580 s build at 1M customers. They still
# run in `dbt build` by hand and in tests/dbt.
COVERED_UPSTREAM = "tag:covered_upstream"
# Missing manifest: fail here with what to run (`churn-recall prepare`), never parse on import.
MANIFEST = require_manifest(dbt_project.manifest_path, dbt_project.project_dir)


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, platform: PlatformResource):
    platform.env.prepare()
    # --exclude here too: a subset run (one group of a multi-asset) selects models by name with
    # eager indirect test selection, which ignores the definition's `exclude`.
    args = ["build", "--exclude-resource-type", "unit_test", "--exclude", COVERED_UPSTREAM,
            "--vars", json.dumps(dbt_vars(platform.settings, platform.env), sort_keys=True)]
    yield from dbt.cli(args, context=context).stream()


@dbt_assets(manifest=MANIFEST,
            exclude=f"{RECALL_SELECTION} {COVERED_UPSTREAM}",
            dagster_dbt_translator=ChurnDbtTranslator(), project=dbt_project,
            name="churn_marts", pool=DUCKDB_POOL)
def churn_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                platform: PlatformResource):
    """Staging, intermediate and churn marts: snapshots, lifecycle, value, cohorts, churn rates."""
    yield from _build(context, dbt, platform)


@dbt_assets(manifest=MANIFEST, select=RECALL_SELECTION,
            exclude=f"{WAVE_SELECTION} {COVERED_UPSTREAM}",
            dagster_dbt_translator=ChurnDbtTranslator(), project=dbt_project,
            name="recall_marts", pool=DUCKDB_POOL)
def recall_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                 platform: PlatformResource):
    """Recall candidates and their features, the campaign plan, triggers and the
    effect-tracking tables."""
    yield from _build(context, dbt, platform)


@dbt_assets(manifest=MANIFEST, select=WAVE_SELECTION, exclude=COVERED_UPSTREAM,
            dagster_dbt_translator=ChurnDbtTranslator(), project=dbt_project,
            name="recall_wave", pool=DUCKDB_POOL)
def recall_wave(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                platform: PlatformResource):
    """recall_segments: the wave to send, with its holdout arms, per-customer targeting (the
    recall_targeting asset) or the rule-based ranking."""
    yield from _build(context, dbt, platform)
