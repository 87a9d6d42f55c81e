"""The checks that guard training, scoring and export block: a failing check stops the assets
downstream of it in the same run (`dg.materialize` on a doctored warehouse, stand-ins for the
upstream tables, the real checks and the real guarded assets)."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.defs.resources import DUCKDB_POOL, PlatformResource, build_resources
from orchestration.environment import Environment


def _stand_in(key: str, *statements: str) -> dg.AssetsDefinition:
    """An asset with the key of a real one that writes its table with `statements`."""

    @dg.asset(key=key, pool=DUCKDB_POOL)
    def stand_in(platform: PlatformResource) -> None:
        with platform.connect() as con:
            for sql in statements:
                con.execute(sql)

    return stand_in


def _probe(upstream: str) -> dg.AssetsDefinition:
    @dg.asset(deps=[upstream])
    def probe() -> None:
        """Runs only when nothing upstream blocked."""

    return probe


def _snapshots(churned_of_100: int) -> dg.AssetsDefinition:
    return _stand_in(
        "customer_snapshots", "create schema if not exists marts",
        "create or replace table marts.customer_snapshots as select 'c' || i as customer_id, "
        "date '2025-01-01' as snapshot_date, "
        f"case when i < {churned_of_100} then 1 else 0 end as is_churned_label "
        "from range(100) t(i)")


def _run(churn_home, assets, selection=None):
    Environment(churn_home).prepare()
    with dg.instance_for_test() as instance:
        result = dg.materialize(assets, selection=selection, instance=instance,
                                resources=build_resources(str(churn_home)),
                                raise_on_error=False)
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    return result, materialized, checks


def test_label_rate_in_bounds_passes_and_downstream_runs(churn_home):
    from orchestration.defs.dbt.checks import customer_snapshots_label_rate

    result, materialized, checks = _run(
        churn_home, [_snapshots(20), customer_snapshots_label_rate, _probe("customer_snapshots")])
    assert result.success
    assert checks["label_rate"].passed
    assert materialized == {"customer_snapshots", "probe"}


@pytest.mark.parametrize("churned", [90, 0], ids=["most-churned", "none-churned"])
def test_label_rate_out_of_bounds_stops_churn_model(churn_home, churned):
    from orchestration.defs.dbt.checks import customer_snapshots_label_rate
    from orchestration.defs.ml.assets import churn_model

    result, materialized, checks = _run(
        churn_home, [_snapshots(churned), customer_snapshots_label_rate, churn_model])
    assert not result.success
    check = checks["label_rate"]
    assert not check.passed and check.blocking
    assert check.severity == dg.AssetCheckSeverity.ERROR
    assert f"mean of is_churned_label is {churned / 100:.4f}" in check.description
    assert "churn_model is not trained" in check.description
    assert materialized == {"customer_snapshots"}  # churn_model never ran


def test_retraining_without_the_snapshots_in_the_run_is_still_blocked(churn_home):
    """`monthly_retraining` does not rebuild customer_snapshots; it runs the label-rate check
    on the current table, which stops the challenger in that run."""
    from orchestration.defs.dbt.checks import customer_snapshots_label_rate
    from orchestration.defs.jobs import LABEL_RATE, monthly_retraining
    from orchestration.defs.ml.assets import (churn_model, churn_scores, recall_uplift,
                                              return_model)

    graph = dg.Definitions(
        assets=[dg.AssetSpec("customer_snapshots"), dg.AssetSpec("lapsed_customer_snapshots"),
                dg.AssetSpec("recall_uplift_training_rows"),
                dg.AssetSpec("recall_uplift_campaigns"),
                churn_model, return_model, churn_scores, recall_uplift],
        asset_checks=[customer_snapshots_label_rate],
        resources=build_resources(str(churn_home))).resolve_asset_graph()
    assert monthly_retraining.selection.resolve_checks(graph) == {LABEL_RATE}
    _run(churn_home, [_snapshots(90)])  # the table as a previous run left it
    result, materialized, checks = _run(
        churn_home, [dg.AssetSpec("customer_snapshots"), customer_snapshots_label_rate,
                     churn_model],
        selection=dg.AssetSelection.assets("churn_model") | dg.AssetSelection.checks(LABEL_RATE))
    assert not result.success and not checks["label_rate"].passed
    assert materialized == set()


SEGMENTS = ("create schema if not exists marts",
            "create or replace table marts.recall_segments (customer_id varchar, arm varchar, "
            "layer varchar, campaign_id varchar, holdout_stratum varchar)")


@pytest.mark.parametrize("rows, failure", [
    ("select 'c' || i, case when i < 40 then 'control' else 'treatment' end, 'core', "
     "'next_wave', 'core' from range(100) t(i)", "control share off 0.1"),
    ("select 'c1', 'treatment', 'core', 'next_wave', 'core' where false",
     "0 rows, expected >= 1"),
], ids=["unbalanced-arms", "empty"])
def test_segment_suite_failure_stops_the_crm_export(churn_home, rows, failure):
    from orchestration.defs.dbt.checks import recall_segments_suite
    from orchestration.defs.recall.assets import crm_export

    segments = _stand_in("recall_segments", *SEGMENTS, f"insert into marts.recall_segments {rows}")
    result, materialized, checks = _run(churn_home, [segments, recall_segments_suite, crm_export])
    assert not result.success
    check = checks["segment_suite"]
    assert not check.passed and check.blocking
    assert check.severity == dg.AssetCheckSeverity.ERROR
    assert failure in check.description and "crm_export does not export" in check.description
    assert materialized == {"recall_segments"}
    assert not any((churn_home / "exports").rglob("*.*"))  # no CRM file written


def test_invalid_scores_stop_what_reads_them(churn_home):
    from orchestration.defs.ml.checks import churn_scores_suite

    scores = _stand_in(
        "churn_scores", "create schema if not exists ml",
        "create or replace table ml.churn_scores as select 'c' || i as customer_id, "
        "i / 10.0 as churn_probability, 1 + i % 10 as risk_decile from range(12) t(i)")
    result, materialized, checks = _run(churn_home, [scores, churn_scores_suite,
                                                     _probe("churn_scores")])
    check = checks["scores_suite"]
    assert not result.success and not check.passed and check.blocking
    assert check.severity == dg.AssetCheckSeverity.ERROR
    assert materialized == {"churn_scores"}
