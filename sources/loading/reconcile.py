"""Per-load counts of the file loader, kept in the warehouse so raw can be reconciled later.

`sources.loader.load_directory` calls `record_load(con, report)` inside its own transaction, so
every committed load appends one row per loaded file to `raw_quarantine._load_log` (a dry run
records nothing). `reconcile(con)` compares what the log says the loader did with what raw and
quarantine hold, per contract table:

- every logged file balances: input rows = accepted + quarantined + skipped (already loaded);
- quarantine holds exactly the rejected rows the log says were stored, per file and load time
  (a rejected row already in quarantine from an earlier load of the same file is stored once);
- quarantine holds no rows from a load the log does not know;
- raw holds at least the accepted rows (more when the simulator, `respond` or Complete Journey
  wrote to it too: those rows are reported, not counted as an error).

SQL only, no Dagster import.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sources.contract import QUARANTINE_SCHEMA, RAW_SCHEMA, TABLES

LOG_TABLE = "_load_log"
LOG = f'"{QUARANTINE_SCHEMA}"."{LOG_TABLE}"'
_COLUMNS = (
    ("load_id", "VARCHAR"),
    ("table_name", "VARCHAR"),
    ("file", "VARCHAR"),
    ("format", "VARCHAR"),
    ("input_rows", "BIGINT"),
    ("accepted", "BIGINT"),
    ("quarantined", "BIGINT"),
    ("already_quarantined", "BIGINT"),
    ("skipped", "BIGINT"),
    ("loaded_at", "TIMESTAMP"),
    ("directory", "VARCHAR"),
    ("recorded_at", "TIMESTAMP"),
)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _exists(con, schema: str, name: str) -> bool:
    return con.execute(
        "select count(*) from duckdb_tables() where schema_name = $s and table_name = $n",
        {"s": schema, "n": name}).fetchone()[0] > 0


def create_log_table(con) -> None:
    con.execute(f"create schema if not exists {_q(QUARANTINE_SCHEMA)}")
    cols = ", ".join(f"{_q(n)} {t}" for n, t in _COLUMNS)
    con.execute(f"create table if not exists {LOG} ({cols})")


def record_load(con, report) -> int:
    """Append one log row per file of `report` (a `sources.loader.LoadReport`); returns the
    number of rows written. `load_directory` calls it once per load, before its commit."""
    if not report.files:
        return 0
    create_log_table(con)
    load_id = uuid.uuid4().hex
    recorded_at = datetime.now(UTC).replace(tzinfo=None)
    loaded_at = report.loaded_at
    if loaded_at.tzinfo is not None:
        loaded_at = loaded_at.astimezone(UTC).replace(tzinfo=None)
    rows = [(load_id, f.table, f.file, f.format, f.input_rows, f.accepted, f.quarantined,
             f.already_quarantined, f.skipped, loaded_at, str(report.directory), recorded_at)
            for f in report.files]
    placeholders = ", ".join("?" for _ in _COLUMNS)
    con.executemany(f"insert into {LOG} values ({placeholders})", rows)
    return len(rows)


@dataclass
class TableReconciliation:
    """What the load log says about one raw table, against what the warehouse holds."""

    table: str
    loads: int = 0
    input_rows: int = 0
    accepted: int = 0
    quarantined: int = 0
    skipped: int = 0
    quarantine_stored_logged: int = 0
    raw_rows: int = 0
    quarantine_rows: int = 0
    problems: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def rows_from_other_sources(self) -> int:
        return max(self.raw_rows - self.accepted, 0)

    def metadata(self) -> dict:
        return {
            "files_loaded": self.loads,
            "input_rows": self.input_rows,
            "accepted": self.accepted,
            "quarantined": self.quarantined,
            "skipped_already_loaded": self.skipped,
            "raw_rows": self.raw_rows,
            "quarantine_rows": self.quarantine_rows,
            "rows_from_other_sources": self.rows_from_other_sources,
        }

    def describe(self) -> str:
        if self.problems:
            return f"raw.{self.table} does not reconcile: " + "; ".join(self.problems)
        return self.note


def _count(con, schema: str, name: str) -> int:
    if not _exists(con, schema, name):
        return 0
    return con.execute(f"select count(*) from {_q(schema)}.{_q(name)}").fetchone()[0]


def _quarantine_groups(con, table: str) -> dict[tuple[str, datetime], int]:
    if not _exists(con, QUARANTINE_SCHEMA, table):
        return {}
    rows = con.execute(f"select _source_file, _loaded_at, count(*) from "
                       f"{_q(QUARANTINE_SCHEMA)}.{_q(table)} group by all").fetchall()
    return {(f, t): n for f, t, n in rows}


def reconcile(con, tables=None) -> dict[str, TableReconciliation]:
    """Reconcile every contract table (or the names given) against the load log."""
    names = list(tables) if tables is not None else [t.name for t in TABLES]
    logged = _exists(con, QUARANTINE_SCHEMA, LOG_TABLE)
    log_rows = con.execute(
        f"select table_name, file, loaded_at, input_rows, accepted, quarantined, "
        f"already_quarantined, skipped from {LOG} order by loaded_at, file"
    ).fetchall() if logged else []
    out: dict[str, TableReconciliation] = {}
    for name in names:
        r = TableReconciliation(name, raw_rows=_count(con, RAW_SCHEMA, name),
                                quarantine_rows=_count(con, QUARANTINE_SCHEMA, name))
        expected_stored: dict[tuple[str, datetime], int] = {}
        for table, file, loaded_at, rows_in, accepted, quarantined, already, skipped in log_rows:
            if table != name:
                continue
            r.loads += 1
            r.input_rows += rows_in
            r.accepted += accepted
            r.quarantined += quarantined
            r.skipped += skipped
            if rows_in != accepted + quarantined + skipped:
                r.problems.append(
                    f"{file} loaded at {loaded_at:%Y-%m-%d %H:%M:%S}: {rows_in:,} rows in but "
                    f"{accepted:,} accepted + {quarantined:,} quarantined + {skipped:,} skipped")
            key = (file, loaded_at)
            expected_stored[key] = expected_stored.get(key, 0) + quarantined - already
        r.quarantine_stored_logged = sum(expected_stored.values())
        found = _quarantine_groups(con, name)
        for (file, loaded_at), want in sorted(expected_stored.items()):
            have = found.get((file, loaded_at), 0)
            if have != want:
                r.problems.append(
                    f"raw_quarantine.{name} holds {have:,} rows from {file} loaded at "
                    f"{loaded_at:%Y-%m-%d %H:%M:%S}, the load log says {want:,}")
        unlogged = {k: n for k, n in found.items() if k not in expected_stored}
        if unlogged and log_rows:
            (file, loaded_at), n = sorted(unlogged.items(), key=lambda kv: str(kv[0]))[0]
            total = sum(unlogged.values())
            r.problems.append(
                f"raw_quarantine.{name} holds {total:,} rows from {len(unlogged)} load(s) the "
                f"load log does not know (first: {n:,} rows from {file} loaded at "
                f"{loaded_at:%Y-%m-%d %H:%M:%S}); load files with "
                "sources.loader.load_directory, which records every load")
        if r.raw_rows < r.accepted:
            r.problems.append(
                f"raw.{name} holds {r.raw_rows:,} rows but {r.accepted:,} were accepted by "
                f"{r.loads} logged load(s): {r.accepted - r.raw_rows:,} rows are missing")
        if not log_rows:
            r.note = (f"no file load recorded in {QUARANTINE_SCHEMA}.{LOG_TABLE}: raw.{name} "
                      f"holds {r.raw_rows:,} rows from the simulator or another source, "
                      "nothing to reconcile")
            if r.quarantine_rows:
                r.note += (f"; {r.quarantine_rows:,} quarantined rows come from loads that were "
                           "not recorded")
        elif r.loads == 0:
            r.note = (f"no file loaded into raw.{name}; its {r.raw_rows:,} rows come from the "
                      "simulator or another source")
        else:
            r.note = (f"{r.loads} file load(s) into raw.{name}: {r.input_rows:,} rows in = "
                      f"{r.accepted:,} accepted + {r.quarantined:,} quarantined + "
                      f"{r.skipped:,} skipped (already loaded)")
            if r.rows_from_other_sources:
                r.note += (f"; raw also holds {r.rows_from_other_sources:,} rows from the "
                           "simulator or another source")
        out[name] = r
    return out
