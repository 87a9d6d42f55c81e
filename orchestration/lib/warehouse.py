"""Short-lived DuckDB connections, crash-safe table replacement, and recovery of the
cross-run warehouse lock (the `duckdb` pool) after a run was killed."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

LOCK_WAIT_SECONDS = 60.0


class WarehouseBusyError(RuntimeError):
    """Another process holds the DuckDB file."""


_LOCK_PID = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")


def _process_command(pid: int) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part) or None


def lock_conflict_message(path: Path | str, error: BaseException | str) -> str | None:
    """A one-line explanation when `error` (a DuckDB error, or text containing one, such as a
    failed dbt run's log) says another process holds the warehouse file; None otherwise.
    Names the holding process and its command line when it can."""
    text = str(error)
    if "could not set lock on file" not in text.lower():
        return None
    holder = ""
    found = _LOCK_PID.search(text)
    if found:
        pid = int(found.group(2))
        command = _process_command(pid)
        holder = f" (PID {pid}: {command[:160] if command else found.group(1)})"
    return (f"the warehouse {path} is held by another process{holder}: a run, "
            "`churn-recall load`, dbt or a notebook. Only one process can open the DuckDB "
            "file at a time; wait for it to finish (or close it) and retry.")


@contextmanager
def connect(path: Path, *, read_only: bool = False, memory_limit: str | None = None,
            threads: int | None = None, wait_seconds: float = LOCK_WAIT_SECONDS
            ) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, waiting a while for another writer to finish, and always close it."""
    if read_only and not Path(path).exists():
        raise FileNotFoundError(f"warehouse {path} does not exist yet: run `churn-recall demo` "
                                "or `churn-recall load DIR` first")
    config = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=config)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() > deadline:
                message = lock_conflict_message(path, exc) or (
                    f"the warehouse {path} is held by another process (a run, the loader or "
                    "a notebook); close it and retry.")
                raise WarehouseBusyError(
                    f"{message} Waited {wait_seconds:.0f} s. DuckDB said: {exc}") from exc
            time.sleep(0.5)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> Iterator[None]:
    """`frame` registered as `_frame` inside one transaction: committed, or rolled back."""
    con.register("_frame", frame)
    began = False
    try:
        con.execute("begin")
        began = True
        yield
        con.execute("commit")
    except BaseException:
        if began:
            try:
                con.execute("rollback")
            except duckdb.Error:
                pass  # the connection is gone; DuckDB discards the open transaction
        raise
    finally:
        con.unregister("_frame")


def replace_table(con: duckdb.DuckDBPyConnection, schema: str, name: str,
                  frame: pd.DataFrame) -> int:
    """Write `frame` as schema.name atomically: build a new table, then swap in one transaction."""
    con.execute(f'create schema if not exists "{schema}"')
    with _transaction(con, frame):
        con.execute(f'create or replace table "{schema}"."{name}__new" as select * from _frame')
        con.execute(f'drop table if exists "{schema}"."{name}"')
        con.execute(f'alter table "{schema}"."{name}__new" rename to "{name}"')
    return len(frame)


def replace_partition(con: duckdb.DuckDBPyConnection, schema: str, name: str,
                      frame: pd.DataFrame, column: str, value) -> int:
    """Replace the rows of schema.name where `column` = `value` by `frame`, in one transaction
    (the table is created from `frame` the first time)."""
    con.execute(f'create schema if not exists "{schema}"')
    with _transaction(con, frame):
        con.execute(f'create table if not exists "{schema}"."{name}" as '
                    "select * from _frame limit 0")
        con.execute(f'delete from "{schema}"."{name}" where "{column}" = ?', [value])
        con.execute(f'insert into "{schema}"."{name}" by name select * from _frame')
    return len(frame)


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return con.execute(
        "select count(*) from information_schema.tables where table_schema = ? "
        "and table_name = ?", [schema, name]).fetchone()[0] > 0


def row_count(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> int:
    if not table_exists(con, schema, name):
        return 0
    return con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]


# --- the cross-run lock (Dagster pool `duckdb`) after a killed run -----------------------------

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
