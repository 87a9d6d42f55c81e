"""Sensors: files dropped in CHURN_HOME/inbox trigger a refresh; feature drift above the
threshold triggers retraining; new campaigns and labelled snapshots become partitions and are
reported. None opens the warehouse (the DuckDB lock is the runs')."""

import hashlib
import json
from pathlib import Path

import dagster as dg

from orchestration.defs.jobs import (
    campaign_effects_job,
    champion_backtest_job,
    daily_refresh,
    monthly_retraining,
)
from orchestration.defs.partitions import CAMPAIGNS, SNAPSHOT_DATES, new_partition_keys
from orchestration.environment import current
from orchestration.settings import load_settings
from sources.loading.files import FORMATS

DRIFT_METRIC = "metric/drift_max_psi"


def _inbox_signature(inbox: Path) -> tuple[list[str], str]:
    files = sorted(p for p in inbox.glob("*") if p.suffix.lower() in FORMATS)
    stamp = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return [p.name for p in files], hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:16]


@dg.sensor(job=daily_refresh, minimum_interval_seconds=60,
           description="New CSV/Parquet files in CHURN_HOME/inbox: load them and refresh.")
def inbox_sensor(context: dg.SensorEvaluationContext):
    inbox = current().inbox
    if not inbox.exists():
        return dg.SkipReason(f"no inbox folder at {inbox}")
    names, signature = _inbox_signature(inbox)
    if not names:
        return dg.SkipReason(f"no files waiting in {inbox}")
    return dg.RunRequest(run_key=f"inbox-{signature}", tags={"churn/inbox_files": ",".join(names)})


@dg.sensor(job=monthly_retraining, minimum_interval_seconds=300,
           description="Retrain when the latest churn_model reports feature drift (population "
                       "stability index) above drift_psi_threshold.")
def drift_sensor(context: dg.SensorEvaluationContext):
    event = context.instance.get_latest_materialization_event(dg.AssetKey("churn_model"))
    if event is None or event.asset_materialization is None:
        return dg.SkipReason("churn_model has not been materialized yet")
    value = event.asset_materialization.metadata.get(DRIFT_METRIC)
    if value is None:
        return dg.SkipReason(f"the latest churn_model has no {DRIFT_METRIC}")
    psi = float(value.value)
    threshold = load_settings(current().home).drift_psi_threshold
    if psi <= threshold:
        return dg.SkipReason(f"max PSI {psi:.3f} <= threshold {threshold}")
    return dg.RunRequest(run_key=f"drift-{event.run_id}",
                         tags={"churn/drift_max_psi": f"{psi:.3f}"})


@dg.sensor(jobs=[campaign_effects_job, champion_backtest_job], minimum_interval_seconds=300,
           description="Register new recall campaigns and labelled snapshot dates as partitions "
                       "and run the effect report / back-test for each new one.")
def partitions_sensor(context: dg.SensorEvaluationContext):
    new = new_partition_keys(context.instance)
    if not any(new.values()):
        return dg.SkipReason("no new campaigns or labelled snapshot dates")
    jobs = {CAMPAIGNS.name: campaign_effects_job, SNAPSHOT_DATES.name: champion_backtest_job}
    return dg.SensorResult(
        run_requests=[dg.RunRequest(job_name=jobs[name].name, partition_key=key,
                                    run_key=f"{name}-{key}")
                      for name, added in new.items() for key in added],
        dynamic_partitions_requests=[dg.AddDynamicPartitionsRequest(name, added)
                                     for name, added in new.items() if added])
