"""Short-lived DuckDB connections and crash-safe table replacement."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

LOCK_WAIT_SECONDS = 60.0


class WarehouseBusyError(RuntimeError):
    """Another process holds the DuckDB file."""


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
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise WarehouseBusyError(
                    f"the warehouse {path} is held by another process (a run, the loader or "
                    f"a notebook); close it and retry. DuckDB said: {exc}") from exc
            time.sleep(0.5)
    try:
        yield con
    finally:
        con.close()


def replace_table(con: duckdb.DuckDBPyConnection, schema: str, name: str,
                  frame: pd.DataFrame) -> int:
    """Write `frame` as schema.name atomically: build a new table, then swap in one transaction."""
    con.execute(f'create schema if not exists "{schema}"')
    con.register("_frame", frame)
    try:
        con.execute("begin")
        con.execute(f'create or replace table "{schema}"."{name}__new" as select * from _frame')
        con.execute(f'drop table if exists "{schema}"."{name}"')
        con.execute(f'alter table "{schema}"."{name}__new" rename to "{name}"')
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("_frame")
    return len(frame)


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return con.execute(
        "select count(*) from information_schema.tables where table_schema = ? "
        "and table_name = ?", [schema, name]).fetchone()[0] > 0


def row_count(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> int:
    if not table_exists(con, schema, name):
        return 0
    return con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
