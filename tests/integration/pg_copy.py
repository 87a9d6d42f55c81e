"""Move tables from a DuckDB warehouse into PostgreSQL, and compare relations across the two."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from pathlib import Path

from sources.contract import RAW_SCHEMA, TABLES

# DuckDB type -> PostgreSQL type; anything else (VARCHAR, TIMESTAMP, INTEGER, BIGINT, BOOLEAN,
# DATE, DECIMAL(p, s)) is spelled the same on both.
_PG_TYPES = {"DOUBLE": "double precision", "FLOAT": "real",
             "TIMESTAMP WITH TIME ZONE": "timestamptz", "HUGEINT": "numeric(38, 0)"}
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def pg_type(duckdb_type: str) -> str:
    return _PG_TYPES.get(duckdb_type.upper(), duckdb_type)


def _ident(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"unexpected identifier {name!r}")
    return f'"{name}"'


def copy_table(duck, pg_con, schema: str, table: str, columns: list[tuple[str, str]],
               work_dir: Path) -> int:
    """Create `schema.table` in PostgreSQL with `columns` ((name, DuckDB type) pairs) and fill
    it from the same table of the open DuckDB connection `duck` (CSV + COPY). Returns rows."""
    rel = f"{_ident(schema)}.{_ident(table)}"
    cols = ", ".join(_ident(name) for name, _ in columns)
    ddl = ", ".join(f"{_ident(name)} {pg_type(type_)}" for name, type_ in columns)
    csv = work_dir / f"{schema}.{table}.csv"
    # force_quote: empty strings are written "" and nulls stay empty, the distinction
    # PostgreSQL's CSV COPY reads.
    duck.execute(f"copy (select {cols} from {rel}) to '{csv}' "
                 "(header, delimiter ',', quote '\"', force_quote *)")
    with pg_con.cursor() as cur:
        cur.execute(f"create schema if not exists {_ident(schema)}")
        cur.execute(f"create table {rel} ({ddl})")
        with open(csv) as fh:
            cur.copy_expert(f"copy {rel} ({cols}) from stdin with (format csv, header true)", fh)
        cur.execute(f"select count(*) from {rel}")
        rows = cur.fetchone()[0]
    csv.unlink()
    return rows


def copy_raw(duck, pg_con, work_dir: Path) -> dict[str, int]:
    """Every contract table into PostgreSQL schema `raw`, with the contract's column types."""
    return {t.name: copy_table(duck, pg_con, RAW_SCHEMA, t.name,
                               [(c.name, c.type) for c in t.columns], work_dir)
            for t in TABLES}


def copy_as_is(duck, pg_con, schema: str, table: str, work_dir: Path) -> int:
    """A DuckDB table into PostgreSQL with the column types DuckDB reports."""
    columns = duck.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table]).fetchall()
    return copy_table(duck, pg_con, schema, table, columns, work_dir)


def _value(v):
    if isinstance(v, Decimal):
        return float(v)
    return v


def _sort_key(row, exact: list[int]):
    return tuple((row[i] is None, row[i] if row[i] is not None else 0) for i in exact)


def fetch(cursor, sql: str) -> tuple[list[str], list[tuple]]:
    cursor.execute(sql)
    names = [d[0] for d in cursor.description]
    return names, [tuple(_value(v) for v in row) for row in cursor.fetchall()]


def differences(duck_rows: list[tuple], pg_rows: list[tuple], columns: list[str],
                rel_tol: float = 1e-9, limit: int = 5) -> list[str]:
    """Rows that differ, as messages (empty when equal). Rows are matched after sorting on the
    columns that hold no floating point value; floats compare within rel_tol."""
    if len(duck_rows) != len(pg_rows):
        return [f"{len(duck_rows)} rows on DuckDB, {len(pg_rows)} on PostgreSQL"]
    floaty = {i for row in duck_rows + pg_rows for i, v in enumerate(row)
              if isinstance(v, float)}
    exact = [i for i in range(len(columns)) if i not in floaty]
    duck_sorted = sorted(duck_rows, key=lambda r: _sort_key(r, exact))
    pg_sorted = sorted(pg_rows, key=lambda r: _sort_key(r, exact))
    out = []
    for a, b in zip(duck_sorted, pg_sorted):
        for i, (x, y) in enumerate(zip(a, b)):
            if isinstance(x, float) or isinstance(y, float):
                same = (x is None and y is None) or (
                    x is not None and y is not None
                    and math.isclose(x, y, rel_tol=rel_tol, abs_tol=1e-12))
            else:
                same = x == y
            if not same:
                out.append(f"{columns[i]}: DuckDB {x!r} != PostgreSQL {y!r} in row {a!r}")
                break
        if len(out) >= limit:
            break
    return out
