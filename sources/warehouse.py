"""Short-lived DuckDB connections (waiting for another writer), crash-safe table replacement
and small table queries: the warehouse access every step shares, with no Dagster import.

Recovery of the cross-run lock (the Dagster pool `duckdb`) after a killed run is Dagster's
business: `orchestration.lib.run_slots`."""

from __future__ import annotations

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
def transaction(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame,
                name: str = "_frame") -> Iterator[None]:
    """`frame` registered as `name` inside one transaction: committed, or rolled back."""
    con.register(name, frame)
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
        con.unregister(name)


def replace_table(con: duckdb.DuckDBPyConnection, schema: str, name: str,
                  frame: pd.DataFrame) -> int:
    """Write `frame` as schema.name atomically: build a new table, then swap in one transaction."""
    con.execute(f'create schema if not exists "{schema}"')
    with transaction(con, frame):
        con.execute(f'create or replace table "{schema}"."{name}__new" as select * from _frame')
        con.execute(f'drop table if exists "{schema}"."{name}"')
        con.execute(f'alter table "{schema}"."{name}__new" rename to "{name}"')
    return len(frame)


def replace_partition(con: duckdb.DuckDBPyConnection, schema: str, name: str,
                      frame: pd.DataFrame, column: str, value) -> int:
    """Replace the rows of schema.name where `column` = `value` by `frame`, in one transaction
    (the table is created from `frame` the first time)."""
    con.execute(f'create schema if not exists "{schema}"')
    with transaction(con, frame):
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
