"""Schedules and sensors: present, stopped by default, and the sensors decide correctly."""

from __future__ import annotations

import dagster as dg


def test_schedules_and_sensors_are_defined_and_stopped(dbt_manifest):
    from orchestration.definitions import defs

    schedules = {s.name: s for s in defs.schedules}
    sensors = {s.name: s for s in defs.sensors}
    assert set(schedules) == {"daily_refresh_schedule", "monthly_retraining_schedule"}
    assert set(sensors) == {"inbox_sensor", "drift_sensor"}
    assert schedules["daily_refresh_schedule"].cron_schedule == "0 5 * * *"
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
