"""Find the input files and stage each one, as text, in a DuckDB temp table.

Whole-file problems (empty file, header only, wrong delimiter, non-UTF-8 bytes, malformed CSV,
unreadable Parquet, missing required columns) raise `LoadError` here, before anything is written.
With a mapping (`sources.loading.mapping`), files are found by the mapping's patterns, read with
its delimiter and encoding, their columns renamed, and the mapping is checked against the file
(mapped columns present, timestamp formats that parse, value maps that cover every value):
those problems raise `MappingError`, also before anything is written.
"""

from __future__ import annotations

import csv
import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from sources.contract import TABLES_BY_NAME, Table
from sources.loading.mapping import (
    FORMAT_CHECK_VALUES,
    FORMATS as FORMAT_NAMES,
    Mapping,
    TableMapping,
    ValueMap,
    column_kind,
    passing_values,
)
from sources.loading.report import LoadError

# File suffix -> format: the files a load (and the inbox sensor) picks up.
FORMATS = {f".{name}": name for name in FORMAT_NAMES}
_OTHER_DELIMITERS = (",", ";", "\t", "|")
# Long text values must survive; DuckDB's default line limit is 2 MB.
_MAX_LINE_BYTES = 16_000_000
_BUFFER_BYTES = 64_000_000


@dataclass
class InputFile:
    path: Path
    table: Table
    format: str
    mapping: TableMapping | None = None

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class StagedFile:
    """A file read into temp table `stage` as VARCHAR columns c0..cN plus its row numbers.

    `sources[i]` names the stage column holding contract column i, or None when a nullable
    column is absent from the file.
    """

    input: InputFile
    stage: str
    row_number_sql: str
    rows: int
    sources: list[str | None]
    extra_columns: list[str] = field(default_factory=list)
    missing_optional_columns: list[str] = field(default_factory=list)


def _claim_by_pattern(directory: Path, entries: list[Path], mapping: Mapping
                      ) -> dict[str, InputFile]:
    """The file each mapped table's `file` pattern matches (case-insensitive glob)."""
    found: dict[str, InputFile] = {}
    claimed: dict[Path, str] = {}
    for spec in mapping.tables.values():
        if not spec.file:
            continue
        pattern = spec.file.lower()
        hits = [p for p in entries if fnmatch.fnmatchcase(p.name.lower(), pattern)]
        if len(hits) > 1:
            raise spec.error("file", f"file pattern {spec.file!r} of table {spec.table} "
                             f"matches {len(hits)} files in {directory}: "
                             f"{', '.join(p.name for p in hits[:5])}; it must match one")
        if not hits:
            continue
        path = hits[0]
        if path in claimed:
            raise spec.error("file", f"{path.name} matches the file patterns of both tables "
                             f"{claimed[path]} and {spec.table}", file=path.name)
        fmt = spec.format or FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise spec.error("file", f"{path.name} (table {spec.table}): cannot tell whether "
                             "it is CSV or Parquet from its name; set format: csv or "
                             "format: parquet", file=path.name)
        claimed[path] = spec.table
        found[spec.table] = InputFile(path, TABLES_BY_NAME[spec.table], fmt, spec)
    return found


def discover(directory: Path, mapping: Mapping | None = None
             ) -> tuple[list[InputFile], list[str]]:
    """Contract files in `directory` (one per table) and the names of everything else.

    With a mapping, a table with a `file` pattern is loaded from the one file it matches (and
    never from `<table>.csv`); other tables are found by name as without a mapping.
    """
    if not directory.is_dir():
        raise LoadError(f"input directory {directory} does not exist or is not a directory")
    entries = [p for p in sorted(directory.iterdir())
               if not p.name.startswith(".") and not p.is_dir()]
    found = _claim_by_pattern(directory, entries, mapping) if mapping else {}
    claimed = {f.path for f in found.values()}
    unknown: list[str] = []
    for path in entries:
        if path in claimed:
            continue
        fmt = FORMATS.get(path.suffix.lower())
        table = TABLES_BY_NAME.get(path.stem.lower())
        spec = mapping.for_table(table.name) if mapping and table else None
        if fmt is None or table is None or (spec is not None and spec.file):
            unknown.append(path.name)
            continue
        if table.name in found:
            raise LoadError(
                f"{found[table.name].name} and {path.name} both hold table {table.name}; "
                "keep one file per table", file=path.name, table=table.name)
        found[table.name] = InputFile(path, table, fmt, spec)
    return sorted(found.values(), key=lambda f: f.path), unknown


def _first_reason(message: str) -> str:
    """The useful line of a DuckDB error (its reason, with the CSV line number when given)."""
    lines = [ln.strip() for ln in str(message).splitlines() if ln.strip()]
    line_no = re.search(r"on Line: (\d+)", str(message))
    reason = lines[0] if lines else str(message)
    for i, ln in enumerate(lines):
        if ln.startswith("Original Line") and i + 1 < len(lines):
            reason = lines[i + 1]
            break
    reason = re.sub(r"^[A-Za-z ]+Error: ", "", reason)
    return f"line {line_no.group(1)}: {reason}" if line_no else reason


def _delimiter(f: InputFile) -> str:
    return f.mapping.delimiter if f.mapping else ","


def _encoding(f: InputFile) -> str:
    return f.mapping.encoding if f.mapping else "utf-8"


def _csv_header(f: InputFile) -> list[str]:
    delimiter = _delimiter(f)
    if f.path.stat().st_size == 0:
        raise LoadError(f"{f.name} (table {f.table.name}) is empty: expected a header and rows",
                        file=f.name, table=f.table.name)
    with f.path.open("rb") as fh:
        first = fh.readline(_MAX_LINE_BYTES)
    try:
        encoding = "utf-8-sig" if _encoding(f) == "utf-8" else _encoding(f)
        text = first.decode(encoding).rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"{f.name} (table {f.table.name}) is not UTF-8 text (header line, byte "
            f"{exc.start}); save it as UTF-8", file=f.name, table=f.table.name) from None
    if not text.strip():
        raise LoadError(f"{f.name} (table {f.table.name}) has an empty header line",
                        file=f.name, table=f.table.name)
    names = [n.strip() for n in next(csv.reader([text], delimiter=delimiter))]
    if len(names) == 1 and len(f.table.columns) > 1:
        hits = [d for d in _OTHER_DELIMITERS if d != delimiter and d in names[0]]
        if hits:
            expected = ("files must be comma-separated" if f.mapping is None else
                        f"the mapping says delimiter {delimiter!r}")
            raise LoadError(
                f"{f.name} (table {f.table.name}): the header is one column "
                f"{names[0][:80]!r}; {expected} (wrong delimiter {hits[0]!r}? a mapping "
                "file can set `delimiter`)", file=f.name, table=f.table.name)
    return names


def _match_columns(f: InputFile, names: list[str]) -> tuple[list[int | None], list[str], list[str]]:
    """Position of each contract column in the file's columns; extra and missing-nullable names.

    With a mapping, a mapped contract column is read from its file column (which must exist);
    the others are matched by their own name.
    """
    lowered = [n.lower() for n in names]
    seen: set[str] = set()
    for n in lowered:
        if n and n in seen:
            raise LoadError(f"{f.name} (table {f.table.name}): column {n} appears twice",
                            file=f.name, table=f.table.name, column=n)
        seen.add(n)
    spec = f.mapping
    shown = ", ".join(names)[:200]
    positions: list[int | None] = []
    missing_optional: list[str] = []
    for col in f.table.columns:
        source = spec.columns.get(col.name) if spec else None
        if source is not None:
            if source.lower() not in lowered:
                raise spec.error(
                    f"columns.{col.name}", f"{f.name} (table {f.table.name}) has no column "
                    f"{source!r} (mapped to {col.name}); file has: {shown}",
                    file=f.name, column=col.name)
            positions.append(lowered.index(source.lower()))
        elif col.name in lowered:
            positions.append(lowered.index(col.name))
        elif col.nullable:
            positions.append(None)
            missing_optional.append(col.name)
        elif spec is not None:
            raise spec.error(
                "columns", f"{f.name} (table {f.table.name}): missing required column "
                f"{col.name}; map it under tables.{f.table.name}.columns (file has: {shown})",
                file=f.name, column=col.name)
        else:
            raise LoadError(
                f"{f.name} (table {f.table.name}): missing required column {col.name} "
                f"(file has: {shown})",
                file=f.name, table=f.table.name, column=col.name)
    used = {p for p in positions if p is not None}
    extra = [n or f"(unnamed column {i + 1})" for i, n in enumerate(names) if i not in used]
    return positions, extra, missing_optional


def _read_csv(con, f: InputFile, stage: str, width: int) -> str:
    columns = {f"c{i}": "VARCHAR" for i in range(width)}
    try:
        con.execute(
            f'create or replace temp table "{stage}" as select * from read_csv($path, '
            "columns=$columns, header=true, delim=$delim, quote='\"', escape='\"', "
            "auto_detect=false, strict_mode=true, encoding=$encoding, "
            "max_line_size=$max_line, buffer_size=$buffer)",
            {"path": str(f.path), "columns": columns, "delim": _delimiter(f),
             "encoding": _encoding(f), "max_line": _MAX_LINE_BYTES, "buffer": _BUFFER_BYTES},
        )
    except Exception as exc:  # duckdb raises several error classes for bad files
        reason = _first_reason(exc)
        if "unicode" in reason.lower() or "utf-8" in reason.lower():
            raise LoadError(f"{f.name} (table {f.table.name}) is not UTF-8 text ({reason}); "
                            "save it as UTF-8", file=f.name, table=f.table.name) from None
        raise LoadError(f"{f.name} (table {f.table.name}) is not a well-formed CSV file "
                        f"({reason})", file=f.name, table=f.table.name) from None
    # Insertion order follows the file (DuckDB preserves it), so rowid + 1 is the data row.
    return "rowid + 1"


def _parquet_error(f: InputFile, exc: Exception) -> LoadError:
    return LoadError(
        f"{f.name} (table {f.table.name}) is not a readable Parquet file (truncated or "
        f"corrupt: {_first_reason(exc)})", file=f.name, table=f.table.name)


def _parquet_columns(con, f: InputFile) -> list[str]:
    try:
        described = con.execute("describe select * from read_parquet($path)",
                                {"path": str(f.path)}).fetchall()
    except Exception as exc:
        raise _parquet_error(f, exc) from None
    return [row[0] for row in described]


def _read_parquet(con, f: InputFile, stage: str, names: list[str]) -> str:
    casts = ", ".join(f'cast("{n.replace(chr(34), chr(34) * 2)}" as varchar) as c{i}'
                      for i, n in enumerate(names))
    try:
        con.execute(
            f'create or replace temp table "{stage}" as select file_row_number + 1 as _rn, '
            f"{casts} from read_parquet($path, file_row_number=true)", {"path": str(f.path)})
    except Exception as exc:
        raise _parquet_error(f, exc) from None
    return "_rn"


def stage(con, f: InputFile) -> StagedFile:
    """Check `f`'s columns, read it as text into a temp table; `LoadError` on file problems."""
    stage_name = f"_load_stage_{f.table.name}"
    if f.format == "csv":
        names = _csv_header(f)
        positions, extra, missing_optional = _match_columns(f, names)
        row_sql = _read_csv(con, f, stage_name, len(names))
    else:
        names = _parquet_columns(con, f)
        positions, extra, missing_optional = _match_columns(f, [n.strip() for n in names])
        row_sql = _read_parquet(con, f, stage_name, names)
    rows = con.execute(f'select count(*) from "{stage_name}"').fetchone()[0]
    if rows == 0:
        raise LoadError(f"{f.name} (table {f.table.name}) has a header but no rows",
                        file=f.name, table=f.table.name)
    staged = StagedFile(
        input=f, stage=stage_name, row_number_sql=row_sql, rows=rows,
        sources=[None if p is None else f"c{p}" for p in positions],
        extra_columns=extra, missing_optional_columns=missing_optional,
    )
    if f.mapping is not None:
        header = names if f.format == "csv" else [n.strip() for n in names]
        check_mapping(con, staged, header)
    return staged


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _check_formats(con, s: StagedFile, spec: TableMapping, column: str, source: str,
                   shown: str) -> None:
    formats = spec.timestamp_formats[column]
    key = f"timestamp_formats.{column}"
    what = repr(formats[0]) if len(formats) == 1 else repr(list(formats))
    try:
        values, parsed, first = con.execute(
            f"with v as (select trim({_q(source)}) as v, {s.row_number_sql} as rn "
            f"from {_q(s.stage)} where nullif(trim({_q(source)}), '') is not null "
            f"order by rn limit $n) "
            "select count(*), count(try_strptime(v, $f)), arg_min(v, rn) from v",
            {"n": FORMAT_CHECK_VALUES, "f": list(formats)}).fetchone()
    except Exception as exc:
        raise spec.error(key, f"timestamp format {what} for {spec.table}.{column} cannot be "
                         f"used by DuckDB ({_first_reason(exc)})", file=s.input.name,
                         column=column) from None
    if values and not parsed:
        raise spec.error(key, f"timestamp format {what} parses none of the first {values:,} "
                         f"non-blank values of {shown} in {s.input.name} (table "
                         f"{spec.table}, first value {first[:60]!r})", file=s.input.name,
                         column=column)


def _check_values(con, s: StagedFile, spec: TableMapping, vm: ValueMap, source: str,
                  shown: str) -> None:
    col = s.input.table.column(vm.column)
    boolean = column_kind(col) == "boolean"
    passing = "" if not boolean else "and try_cast(trim(v) as boolean) is null "
    rows = con.execute(
        f"with v as (select {_q(source)} as v from {_q(s.stage)}), "
        "open as (select v, count(*) as n from v where nullif(trim(v), '') is not null "
        "and not list_contains($keys, trim(v)) "
        f"and not list_contains(cast($ok as varchar[]), v) {passing}group by v) "
        "select v, n, count(*) over (), sum(n) over () from open order by n desc, v limit 5",
        {"keys": list(vm.keys), "ok": list(passing_values(col))}).fetchall()
    if not rows:
        return
    distinct, covered = rows[0][2], int(rows[0][3])
    examples = ", ".join(f"{v[:40]!r} ({n:,} row{'s' if n != 1 else ''})" for v, n, _, _ in rows)
    more = f" and {distinct - len(rows):,} more" if distinct > len(rows) else ""
    if col.allowed:
        hint = f"map them onto {', '.join(col.allowed)}"
    elif boolean:
        hint = "map them onto true or false"
    elif col.known:
        hint = f"map them (the platform knows {', '.join(col.known)}; other targets are kept)"
    else:
        hint = "map them"
    raise spec.error(
        f"values.{vm.column}", f"the value map of {spec.table}.{vm.column} leaves "
        f"{distinct:,} value(s) of {shown} in {s.input.name} unmapped, covering {covered:,} "
        f"row(s): {examples}{more}; {hint}", file=s.input.name, column=vm.column)


def check_mapping(con, s: StagedFile, header: list[str]) -> None:
    """Check a staged file against its table's mapping: timestamp formats parse some of the
    first values, and value maps cover every value (`MappingError` otherwise)."""
    spec = s.input.mapping
    if spec is None:
        return
    for i, col in enumerate(s.input.table.columns):
        source = s.sources[i]
        if source is None:
            continue
        name = header[int(source[1:])]
        shown = f"column {name!r}" if name.lower() == col.name else \
            f"column {name!r} ({col.name})"
        if col.name in spec.timestamp_formats:
            _check_formats(con, s, spec, col.name, source, shown)
        if col.name in spec.values:
            _check_values(con, s, spec, spec.values[col.name], source, shown)
