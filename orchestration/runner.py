"""Materialize the asset graph in-process, stage by stage, with progress and a stop on failure."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

STAGES = ("raw", "dbt", "ml", "recall", "exports")
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


class PipelineError(RuntimeError):
    """A stage failed or a blocking check did not pass."""


@dataclass
class StageTiming:
    stage: str
    seconds: float
    assets: int
    checks_failed: list = field(default_factory=list)
    steps: dict = field(default_factory=dict)


def materialize(home: str, overrides: dict | None = None, stages: tuple = STAGES,
                progress: Callable[[str], None] = print,
                also: dict[str, list[str]] | None = None) -> list[StageTiming]:
    """Run each stage's asset group (with its checks) as one Dagster run on the local instance;
    `also` adds assets (by key) to a stage, e.g. {"recall": ["int_data_bounds"]}."""
    import dagster as dg

    from orchestration.defs.jobs import PARTITIONED
    from orchestration.defs.resources import build_resources
    from orchestration.lib import warehouse
    from orchestration.definitions import defs

    resources = build_resources(home, overrides)
    assets = list(defs.assets or []) + list(defs.asset_checks or [])
    timings = []
    with dg.DagsterInstance.get() as instance:
        released = warehouse.release_abandoned_runs(instance)
        if released:
            progress(f"released {len(released)} killed run(s) holding the duckdb pool")
        for stage in stages:
            progress(f"[{stage}] materializing ...")
            start = time.perf_counter()
            selection = dg.AssetSelection.groups(stage) - PARTITIONED
            if also and stage in also:
                selection = selection | dg.AssetSelection.assets(*also[stage])
            result = dg.materialize(assets, selection=selection,
                                    resources=resources, instance=instance, run_config=QUIET,
                                    raise_on_error=False, tags={"churn/stage": stage})
            seconds = time.perf_counter() - start
            failed = [f"{c.asset_key.to_user_string()}:{c.check_name}"
                      for c in result.get_asset_check_evaluations() if not c.passed]
            n = len(result.get_asset_materialization_events())
            steps = {e.step_key: e.event_specific_data.duration_ms / 1000
                     for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
            timings.append(StageTiming(stage, seconds, n, failed, steps))
            if not result.success:
                errors = [e.event_specific_data.error.to_string()
                          for e in result.all_events if e.is_step_failure]
                raise PipelineError(f"stage {stage} failed (run {result.run_id}); "
                                    f"failed checks: {failed or 'none'}\n" + "\n".join(errors))
            note = f", {len(failed)} check(s) warned: {', '.join(failed)}" if failed else ""
            progress(f"[{stage}] {n} assets in {seconds:.1f}s{note}")
        _register_partitions(instance, progress)
    return timings


def _register_partitions(instance, progress: Callable[[str], None]) -> None:
    """Add new campaign and snapshot-date partition keys, so backfills can start in the UI."""
    from orchestration.defs.partitions import register_partition_keys

    added = register_partition_keys(instance)
    if any(added.values()):
        progress("new partitions: " + "; ".join(f"{name} {', '.join(keys)}"
                                               for name, keys in added.items() if keys))
