"""Recovery of the cross-run warehouse lock (the Dagster pool `duckdb`, op concurrency slots)
after a run was killed: its slots are freed and the run is marked failed."""

from __future__ import annotations

import os
from pathlib import Path


def _pid_alive(pid: int, started_before: float | None) -> bool:
    """Whether `pid` still runs and, where /proc tells, is not a zombie and started before
    `started_before` (so a recycled PID does not count as the old process)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        if fields[0] in ("Z", "X"):
            return False
        if started_before is None:
            return True
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text()
                    .splitlines() if line.startswith("btime "))
        started = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, StopIteration):
        return True
    return started <= started_before + 2.0


def _run_pid(instance, run_id: str) -> int | None:
    """The PID of the process that executed the run's steps (its first engine event naming one:
    the in-process executor, or the parent of the multiprocess executor)."""
    from dagster import DagsterEventType

    for record in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        event = record.dagster_event
        data = getattr(event, "event_specific_data", None) if event else None
        value = (getattr(data, "metadata", None) or {}).get("pid")
        text = getattr(value, "text", value)
        if text is not None and str(text).isdigit():
            return int(str(text))
    return None


def release_abandoned_runs(instance) -> list[str]:
    """Free the pool slots (`duckdb`, op concurrency) held or queued by runs whose process is
    gone, and mark those runs failed; returns their run ids.

    A run killed mid-way (SIGKILL, OOM, a closed laptop) never releases its slot, so the next
    run would wait for it forever. Call this before materializing. Only runs of a local
    (SQLite) instance are judged, where the PID in a run's engine events is a process on this
    machine; a run whose PID is unknown is left alone."""
    storage = instance.event_log_storage
    if not getattr(storage, "supports_global_concurrency_limits", False):
        return []
    if "sqlite" not in type(storage).__name__.lower():
        return []
    released = []
    for run_id in sorted(storage.get_concurrency_run_ids()):
        record = instance.get_run_record_by_id(run_id)
        if record is None or record.dagster_run.is_finished:
            storage.free_concurrency_slots_for_run(run_id)
            released.append(run_id)
            continue
        pid = _run_pid(instance, run_id)
        started = record.start_time or record.create_timestamp.timestamp()
        if pid is None or _pid_alive(pid, started):
            continue
        instance.report_run_failed(
            record.dagster_run, message=f"the run's process (PID {pid}) is gone: killed or "
            "crashed; its slot in the duckdb pool was released")
        storage.free_concurrency_slots_for_run(run_id)
        released.append(run_id)
    return released
