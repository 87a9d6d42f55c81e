"""Materialize the asset graph in-process, stage by stage, with progress and a stop on failure.

Progress is one message per stage: `[dbt] materializing ...` when it starts (a `Transient`, which
the CLI's console shows as a status line) and `[dbt] 28 assets, 291 checks in 41.2s` when it is
done. Any `progress` callable that takes a string works (`print`, a logger, a list's append).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from orchestration.console import Transient

STAGES = ("raw", "dbt", "ml", "recall", "exports")
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
REASON_CHARS = 300
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DBT_PROGRESS = re.compile(r"^\d+ of \d+ ")
_WRAPPER = re.compile(r"Dagster\w*(ExecutionError|FunctionError)$")


class PipelineError(RuntimeError):
    """A stage failed or a blocking check did not pass. `str()` has every error in full;
    `sentence` says in one line which stage and step failed and why."""

    def __init__(self, message: str, *, stage: str | None = None,
                 steps: list[str] | None = None, reason: str | None = None,
                 run_id: str | None = None):
        super().__init__(message)
        self.stage, self.steps, self.reason, self.run_id = stage, steps or [], reason, run_id

    @property
    def sentence(self) -> str:
        if self.stage is None:
            return str(self).strip().splitlines()[0] if str(self).strip() else "a stage failed"
        where = ""
        if len(self.steps) == 1:
            where = f" at step {self.steps[0]}"
        elif self.steps:
            more = f" and {len(self.steps) - 3} more" if len(self.steps) > 3 else ""
            where = f" at steps {', '.join(self.steps[:3])}{more}"
        why = f" ({self.reason})" if self.reason else ""
        return f"stage {self.stage} failed{where}{why}"


def error_reason(error) -> str | None:
    """The user's cause of a Dagster step failure, on one line: `ValueError: ...` of the
    innermost exception, or the first error dbt reported."""
    if error is None:
        return None
    # Past Dagster's wrappers (DagsterExecutionStepExecutionError, ...) to what the asset raised.
    while getattr(error, "cause", None) is not None and _WRAPPER.match(error.cls_name or ""):
        error = error.cause
    message = _ANSI.sub("", getattr(error, "message", None) or "").strip()
    parsed = message.split("Errors parsed from dbt logs:", 1)
    if len(parsed) == 2 and parsed[1].strip():
        first = _dbt_reason(parsed[1])
    else:
        first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    # "dagster._core.errors.SomeError: text" -> "SomeError: text"
    first = re.sub(r"^(?:[A-Za-z_][\w]*\.)+(?=[A-Za-z_]\w*(?:Error|Exception)\b)", "", first)
    if not first:
        first = getattr(error, "cls_name", None) or ""
    first = re.sub(r"\s+", " ", first)
    return first[:REASON_CHARS - 3] + "..." if len(first) > REASON_CHARS else first or None


def _dbt_reason(errors: str) -> str:
    """`Runtime Error in model m (path): Catalog Error: ...` from dbt's error messages, past
    the progress line (`15 of 19 ERROR creating ...`) and the `Failure in model m` header."""
    lines = [line.strip() for line in errors.splitlines() if line.strip()
             and not _DBT_PROGRESS.match(line.strip())]
    if len(lines) > 1 and lines[0].startswith("Failure in model "):
        lines = lines[1:]
    if not lines:
        return ""
    if len(lines) > 1 and lines[0].endswith(")"):
        return f"{lines[0]}: {lines[1]}"
    return lines[0]


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
    from orchestration.lib import run_slots
    from orchestration.definitions import defs

    resources = build_resources(home, overrides)
    assets = list(defs.assets or []) + list(defs.asset_checks or [])
    by_stage = stage_assets(defs, PARTITIONED)
    timings = []
    with dg.DagsterInstance.get() as instance:
        released = run_slots.release_abandoned_runs(instance)
        if released:
            progress(f"released {len(released)} killed run(s) holding the duckdb pool")
        for stage in stages:
            progress(Transient(f"[{stage}] materializing ..."))
            start = time.perf_counter()
            selection = dg.AssetSelection.assets(*by_stage[stage])
            if also and stage in also:
                selection = selection | dg.AssetSelection.assets(*also[stage])
            result = dg.materialize(assets, selection=selection,
                                    resources=resources, instance=instance, run_config=QUIET,
                                    raise_on_error=False, tags={"churn/stage": stage})
            seconds = time.perf_counter() - start
            failed = [f"{c.asset_key.to_user_string()}:{c.check_name}"
                      for c in result.get_asset_check_evaluations() if not c.passed]
            n = len(result.get_asset_materialization_events())
            n_checks = len(result.get_asset_check_evaluations())
            steps = {e.step_key: e.event_specific_data.duration_ms / 1000
                     for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
            timings.append(StageTiming(stage, seconds, n, failed, steps))
            if not result.success:
                failures = [e for e in result.all_events if e.is_step_failure]
                errors = [e.event_specific_data.error for e in failures]
                if not errors:  # the run failed outside a step
                    errors = [getattr(e.event_specific_data, "error", None)
                              for e in result.all_events if e.event_type_value == "RUN_FAILURE"]
                raise PipelineError(
                    f"stage {stage} failed (run {result.run_id}); "
                    f"failed checks: {failed or 'none'}\n"
                    + "\n".join(e.to_string() for e in errors if e is not None),
                    stage=stage, steps=[e.step_key for e in failures],
                    reason=error_reason(errors[0]) if errors else None, run_id=result.run_id)
            checks = f", {_count(n_checks, 'check')}" if n_checks else ""
            note = f", {len(failed)} warned: {', '.join(failed)}" if failed else ""
            progress(f"[{stage}] {_count(n, 'asset')}{checks} in {seconds:.1f}s{note}")
        _register_partitions(instance, progress)
    return timings


def stage_assets(defs, exclude) -> dict[str, list]:
    """The asset keys each stage materializes: an asset runs in its group's stage, or later
    when an upstream asset runs later (recall_uplift, group ml, trains on recall marts: it runs
    in the recall stage, after them, not on the previous run's marts). `exclude`: an
    AssetSelection left out (the partitioned assets)."""
    graph = defs.resolve_asset_graph()
    left_out = exclude.resolve(graph)
    order = {stage: i for i, stage in enumerate(STAGES)}
    stage_of: dict = {}
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        parents = [stage_of[p] for p in node.parent_keys if p in stage_of]
        if node.group_name in order:
            stage_of[key] = max([order[node.group_name], *parents])
    out: dict[str, list] = {stage: [] for stage in STAGES}
    for key, i in stage_of.items():
        if key not in left_out:
            out[STAGES[i]].append(key)
    return out


def _register_partitions(instance, progress: Callable[[str], None]) -> None:
    """Add new campaign and snapshot-date partition keys, so backfills can start in the UI."""
    from orchestration.defs.partitions import register_partition_keys

    added = register_partition_keys(instance)
    if any(added.values()):
        progress("new partitions: " + "; ".join(f"{name} {_keys(keys)}"
                                               for name, keys in added.items() if keys))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _keys(keys: list[str], shown: int = 4) -> str:
    if len(keys) <= shown:
        return ", ".join(keys)
    return f"{len(keys)} keys ({keys[0]} .. {keys[-1]})"
