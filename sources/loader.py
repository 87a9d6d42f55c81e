"""Load a folder of CSV/Parquet files (one per contract table) into schema `raw`.

Every file is checked before anything is written: whole-file problems raise `LoadError` (one
line, naming the file, table and column); row-level problems send the row to
`raw_quarantine.<table>` with the rule it broke. Per table and file, always:
input rows = accepted + quarantined + skipped (identical row already loaded).

Choices:
- file stem = table name (case-insensitive), `.csv` (comma, UTF-8, header, BOM allowed) or
  `.parquet`; anything else is reported as unknown and not loaded; two files for one table is an
  error;
- header names are matched trimmed and case-insensitively; a missing non-null column is an
  error, a missing nullable column is loaded as NULL and reported, extra columns are reported
  and ignored (not stored);
- values are parsed in DuckDB (text, then TRY_CAST per column); blank values count as missing;
  text values are stored verbatim; timestamps with an offset or zone name are converted to UTC,
  those without are taken as UTC;
- the whole load is one transaction: any error leaves raw and quarantine unchanged; a load
  that commits records its per-file counts in `raw_quarantine._load_log` in the same
  transaction (`sources.loading.reconcile`), so raw can always be reconciled with its loads;
- quarantine rows keep the original text of every contract column plus `_rule`, `_column`,
  `_detail`, `_source_file`, `_row_number` (1-based data row: the CSV line minus the header
  line when no value spans lines; the Parquet row) and `_loaded_at`; a rejected row already in
  quarantine from an earlier load of the same file is not stored twice;
- a mapping (`sources.loading.mapping`, docs/mapping.md) loads a shop's own export: its file
  names, delimiter, column names, value spellings, timestamp formats, time zone, decimal comma
  and currency scale; without one, everything above holds unchanged;
- `check_directory` (or `dry_run=True`) runs every check and the whole load, then rolls it
  back: its report says what a load would do, and nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sources.contract import RAW_SCHEMA, TABLES_BY_NAME, create_raw_schema
from sources.loading import files, rules
from sources.loading.mapping import Mapping, MappingError, default_mapping, load_mapping
from sources.loading.reconcile import record_load
from sources.loading.report import (
    ABOVE_MAX,
    ALREADY_LOADED,
    BEFORE_SIGNUP,
    BELOW_MIN,
    DUPLICATE_KEY_CONFLICT,
    DUPLICATE_KEY_IN_FILE,
    FUTURE_TIMESTAMP,
    NOT_ALLOWED,
    NOT_FINITE,
    NOT_NULL,
    ORPHAN_REFERENCE,
    OVERFLOW,
    RULES,
    UNPARSABLE,
    FileReport,
    LoadError,
    LoadReport,
    RuleCount,
)

__all__ = [
    "ABOVE_MAX", "ALREADY_LOADED", "BEFORE_SIGNUP", "BELOW_MIN", "DUPLICATE_KEY_CONFLICT",
    "DUPLICATE_KEY_IN_FILE", "FUTURE_TIMESTAMP", "NOT_ALLOWED", "NOT_FINITE", "NOT_NULL",
    "ORPHAN_REFERENCE", "OVERFLOW", "RULES", "UNPARSABLE", "FileReport", "LoadError",
    "LoadReport", "Mapping", "MappingError", "RuleCount", "check_directory", "default_mapping",
    "load_directory", "load_mapping",
]


def _utc_naive(moment: datetime | None) -> datetime:
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _has_rows(con, table: str) -> bool:
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = $schema and table_name = $name",
        {"schema": RAW_SCHEMA, "name": table}).fetchone()[0]
    return bool(exists) and con.execute(
        f"select exists (select 1 from {rules.rel(RAW_SCHEMA, table)})").fetchone()[0]


def _check_required(con, inputs: list[files.InputFile], directory: Path,
                    mapping: Mapping | None = None) -> None:
    present = {f.table.name for f in inputs}
    for table in TABLES_BY_NAME.values():
        if table.required and table.name not in present and not _has_rows(con, table.name):
            spec = mapping.for_table(table.name) if mapping else None
            if spec is not None and spec.file:
                raise spec.error("file", f"no file in {directory} matches {spec.file!r} for "
                                 f"required table {table.name}, and raw.{table.name} is empty")
            raise LoadError(
                f"{directory}: required table {table.name} is missing (expected "
                f"{table.name}.csv or {table.name}.parquet) and raw.{table.name} is empty",
                table=table.name)


def _missing_optional(con, inputs: list[files.InputFile]) -> list[str]:
    """Contract tables with no file in this load and no rows in raw (optional ones, since a
    missing required table stops the load)."""
    present = {f.table.name for f in inputs}
    return [t.name for t in TABLES_BY_NAME.values()
            if t.name not in present and not _has_rows(con, t.name)]


def _drop_stages(con, staged: dict[str, files.StagedFile]) -> None:
    for s in staged.values():
        con.execute(f"drop table if exists {rules.q(s.stage)}")


def load_directory(con, directory: Path, *, now: datetime | None = None,
                   mapping: Mapping | None = None, dry_run: bool = False) -> LoadReport:
    """Validate and load every contract file in `directory` in one transaction.

    `now` is the reference time for the future-timestamp rule and the `_loaded_at` stamp
    (default: the current UTC time; naive values are taken as UTC). `mapping` (a parsed
    mapping file, see `sources.loading.mapping`) says how the shop's files, columns and values
    map onto the contract; None loads contract-named files as they are. A load records its
    per-file counts in `raw_quarantine._load_log` in the same transaction (what
    `sources.loading.reconcile.reconcile` checks raw against). With `dry_run`, the whole load
    runs and is rolled back: the report says what would happen, nothing is written.
    """
    directory = Path(directory)
    loaded_at = _utc_naive(now)
    if mapping is not None:
        mapping.check(con)
    inputs, unknown = files.discover(directory, mapping)
    _check_required(con, inputs, directory, mapping)
    if not inputs:
        raise LoadError(f"{directory}: no contract files to load (expected <table>.csv or "
                        "<table>.parquet named after raw tables"
                        + (", or files matching the mapping's patterns)" if mapping else ")"))
    report = LoadReport(directory=str(directory), loaded_at=loaded_at, unknown_files=unknown,
                        dry_run=dry_run, mapping=mapping.source if mapping else None,
                        missing_optional_tables=_missing_optional(con, inputs))

    previous_tz = con.execute("select current_setting('TimeZone')").fetchone()[0]
    con.execute("set TimeZone = 'UTC'")
    staged: dict[str, files.StagedFile] = {}
    try:
        # Phase 1, nothing written: every file is read as text into a temp table and its
        # columns (and mapping) are checked. Any whole-file problem stops the load here.
        for f in inputs:
            staged[f.table.name] = files.stage(con, f)
        # Phase 2, one transaction: type, check and write each table, parents first; a dry
        # run rolls it back.
        try:
            con.execute("begin transaction")
        except Exception as exc:
            raise LoadError(f"cannot start the load transaction ({exc}); is another "
                            "transaction open on this connection?") from None
        try:
            create_raw_schema(con)
            for table in TABLES_BY_NAME.values():  # all exist, like the raw tables
                rules.create_quarantine_table(con, table)
            for table in rules.dependency_order([f.table for f in inputs]):
                report.files.append(rules.apply(con, staged[table.name], loaded_at))
            if dry_run:
                con.execute("rollback")
            else:
                record_load(con, report)  # the load log commits with the load, or neither
                con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        _drop_stages(con, staged)
        con.execute(f"set TimeZone = '{previous_tz.replace(chr(39), '')}'")
    return report


def check_directory(con, directory: Path, *, now: datetime | None = None,
                    mapping: Mapping | None = None) -> LoadReport:
    """Every check of `load_directory` (mapping, files, rows, keys and references against what
    raw already holds) without writing anything: the load runs in a transaction that is rolled
    back. The report (`report.dry_run` is True) counts the rows that would be accepted,
    quarantined and skipped, and lists `missing_optional_tables`."""
    return load_directory(con, directory, now=now, mapping=mapping, dry_run=True)
