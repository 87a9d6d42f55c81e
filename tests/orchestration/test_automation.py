"""Schedules and sensors: present, stopped by default, and the sensors decide correctly."""

from __future__ import annotations

import dagster as dg
import pytest


def test_schedules_and_sensors_are_defined_and_stopped(dbt_manifest):
    from orchestration.definitions import defs

    schedules = {s.name: s for s in defs.schedules}
    sensors = {s.name: s for s in defs.sensors}
    assert set(schedules) == {"daily_refresh_schedule", "monthly_retraining_schedule",
                              "trigger_batches_schedule"}
    assert set(sensors) == {"inbox_sensor", "drift_sensor", "raw_freshness_sensor",
                            "partitions_sensor"}
    assert schedules["daily_refresh_schedule"].cron_schedule == "0 5 * * *"
    # trigger batches an hour after the refresh that brings the day's events
    assert schedules["trigger_batches_schedule"].cron_schedule == "0 6 * * *"
    for s in [*schedules.values(), *sensors.values()]:
        assert s.default_status == dg.DefaultScheduleStatus.STOPPED or \
            s.default_status == dg.DefaultSensorStatus.STOPPED


def test_inbox_sensor_requests_a_refresh_only_for_new_files(dbt_manifest, churn_home):
    from orchestration.defs.sensors import inbox_sensor

    inbox = churn_home / "inbox"
    inbox.mkdir(parents=True)
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance)
        assert isinstance(inbox_sensor(ctx), dg.SkipReason)
        (inbox / "customers.csv").write_text("customer_id\n")
        first = inbox_sensor(ctx)
        assert isinstance(first, dg.RunRequest)
        assert first.tags["churn/inbox_files"] == "customers.csv"
        assert inbox_sensor(ctx).run_key == first.run_key   # same files, same key: no rerun
        (inbox / "orders.csv").write_text("order_id\n")
        assert inbox_sensor(ctx).run_key != first.run_key


def test_drift_sensor_requests_retraining_above_the_threshold(dbt_manifest, churn_home):
    from orchestration.defs.sensors import drift_sensor

    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance)
        assert isinstance(drift_sensor(ctx), dg.SkipReason)
        instance.report_runless_asset_event(dg.AssetMaterialization(
            "churn_model", metadata={"metric/drift_max_psi": 0.05}))
        assert isinstance(drift_sensor(ctx), dg.SkipReason)
        instance.report_runless_asset_event(dg.AssetMaterialization(
            "churn_model", metadata={"metric/drift_max_psi": 0.35}))
        request = drift_sensor(ctx)
        assert isinstance(request, dg.RunRequest)
        assert request.tags["churn/drift_max_psi"] == "0.350"


def test_raw_freshness_checks_cover_every_raw_table(dbt_manifest):
    from orchestration.definitions import defs
    from sources.contract import RAW_SCHEMA, TABLES

    checks = defs.resolve_asset_graph().asset_check_keys
    for t in TABLES:
        assert dg.AssetCheckKey(dg.AssetKey([RAW_SCHEMA, t.name]), "freshness_check") in checks
    lagged = {k.asset_key.path[-1] for k in checks if k.name == "feed_lag"}
    assert lagged == {"orders", "events"}


def test_feed_lag_warns_on_a_feed_that_stopped(dbt_manifest, churn_home):
    import duckdb

    from orchestration.defs.ingest.freshness import raw_feed_lag
    from orchestration.defs.resources import build_resources
    from sources.contract import create_raw_schema

    churn_home.mkdir(parents=True)
    with duckdb.connect(str(churn_home / "warehouse.duckdb")) as con:
        create_raw_schema(con)
        con.execute("insert into raw.customers (customer_id, signup_at) "
                    "values ('c1', timestamp '2026-03-31 09:00')")
        con.execute("insert into raw.orders (order_id, customer_id, ordered_at) "
                    "values ('o1', 'c1', timestamp '2026-03-01 08:00')")
    platform = build_resources(str(churn_home), {"raw_feed_lag_days": "3"})["platform"]
    results = {r.asset_key.path[-1]: r for r in raw_feed_lag(
        dg.build_asset_check_context(resources={"platform": platform}))}
    assert not results["orders"].passed               # 30 days behind the newest sign-up
    assert results["orders"].metadata["lag_days"].value == pytest.approx(30.04, abs=0.01)
    assert not results["events"].passed               # empty feed
    assert "empty" in results["events"].description
    assert all(r.severity == dg.AssetCheckSeverity.WARN for r in results.values())


def test_partitions_sensor_registers_and_runs_new_keys_once(dbt_manifest):
    from orchestration.defs.sensors import partitions_sensor

    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance)
        assert isinstance(partitions_sensor(ctx), dg.SkipReason)     # nothing materialized yet
        instance.report_runless_asset_event(dg.AssetMaterialization(
            "churn_model", metadata={"labelled_snapshot_dates": dg.MetadataValue.json(
                ["2025-11-01", "2025-12-01"])}))
        instance.report_runless_asset_event(dg.AssetMaterialization(
            "recall_effect_plots", metadata={"campaign_ids": dg.MetadataValue.json(
                ["wave_silent"])}))
        result = partitions_sensor(ctx)
        assert sorted((r.job_name, r.partition_key) for r in result.run_requests) == [
            ("campaign_effects_job", "wave_silent"),
            ("champion_backtest_job", "2025-11-01"), ("champion_backtest_job", "2025-12-01")]
        for request in result.dynamic_partitions_requests:
            instance.add_dynamic_partitions(request.partitions_def_name,
                                            list(request.partition_keys))
        assert isinstance(partitions_sensor(ctx), dg.SkipReason)     # registered: no rerun
        instance.report_runless_asset_event(dg.AssetMaterialization(
            "churn_model", metadata={"labelled_snapshot_dates": dg.MetadataValue.json(
                ["2025-11-01", "2025-12-01", "2026-01-01"])}))
        (request,) = partitions_sensor(ctx).run_requests
        assert request.partition_key == "2026-01-01"
