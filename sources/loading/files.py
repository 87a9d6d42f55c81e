"""Find the input files and stage each one, as text, in a DuckDB temp table.

Whole-file problems (empty file, header only, wrong delimiter, non-UTF-8 bytes, malformed CSV,
unreadable Parquet, missing required columns) raise `LoadError` here, before anything is written.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from sources.contract import TABLES_BY_NAME, Table
from sources.loading.report import LoadError

FORMATS = {".csv": "csv", ".parquet": "parquet"}
_OTHER_DELIMITERS = (";", "\t", "|")
# Long text values must survive; DuckDB's default line limit is 2 MB.
_MAX_LINE_BYTES = 16_000_000
_BUFFER_BYTES = 64_000_000


@dataclass
class InputFile:
    path: Path
    table: Table
    format: str

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


def discover(directory: Path) -> tuple[list[InputFile], list[str]]:
    """Contract files in `directory` (one per table) and the names of everything else."""
    if not directory.is_dir():
        raise LoadError(f"input directory {directory} does not exist or is not a directory")
    found: dict[str, InputFile] = {}
    unknown: list[str] = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        fmt = FORMATS.get(path.suffix.lower())
        table = TABLES_BY_NAME.get(path.stem.lower())
        if fmt is None or table is None:
            unknown.append(path.name)
            continue
        if table.name in found:
            raise LoadError(
                f"{found[table.name].name} and {path.name} both hold table {table.name}; "
                "keep one file per table", file=path.name, table=table.name)
        found[table.name] = InputFile(path, table, fmt)
    return list(found.values()), unknown


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


def _csv_header(f: InputFile) -> list[str]:
    if f.path.stat().st_size == 0:
        raise LoadError(f"{f.name} (table {f.table.name}) is empty: expected a header and rows",
                        file=f.name, table=f.table.name)
    with f.path.open("rb") as fh:
        first = fh.readline(_MAX_LINE_BYTES)
    try:
        text = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"{f.name} (table {f.table.name}) is not UTF-8 text (header line, byte "
            f"{exc.start}); save it as UTF-8", file=f.name, table=f.table.name) from None
    if not text.strip():
        raise LoadError(f"{f.name} (table {f.table.name}) has an empty header line",
                        file=f.name, table=f.table.name)
    names = [n.strip() for n in next(csv.reader([text]))]
    if len(names) == 1 and len(f.table.columns) > 1:
        hits = [d for d in _OTHER_DELIMITERS if d in names[0]]
        if hits:
            raise LoadError(
                f"{f.name} (table {f.table.name}): the header is one column "
                f"{names[0][:80]!r}; files must be comma-separated (wrong delimiter "
                f"{hits[0]!r}?)", file=f.name, table=f.table.name)
    return names


def _match_columns(f: InputFile, names: list[str]) -> tuple[list[int | None], list[str], list[str]]:
    """Position of each contract column in the file's columns; extra and missing-nullable names."""
    lowered = [n.lower() for n in names]
    seen: set[str] = set()
    for n in lowered:
        if n and n in seen:
            raise LoadError(f"{f.name} (table {f.table.name}): column {n} appears twice",
                            file=f.name, table=f.table.name, column=n)
        seen.add(n)
    positions: list[int | None] = []
    missing_optional: list[str] = []
    for col in f.table.columns:
        if col.name in lowered:
            positions.append(lowered.index(col.name))
        elif col.nullable:
            positions.append(None)
            missing_optional.append(col.name)
        else:
            raise LoadError(
                f"{f.name} (table {f.table.name}): missing required column {col.name} "
                f"(file has: {', '.join(names)[:200]})",
                file=f.name, table=f.table.name, column=col.name)
    contract = set(f.table.column_names)
    extra = [n or f"(unnamed column {i + 1})" for i, n in enumerate(names)
             if n.lower() not in contract]
    return positions, extra, missing_optional


def _read_csv(con, f: InputFile, stage: str, width: int) -> str:
    columns = {f"c{i}": "VARCHAR" for i in range(width)}
    try:
        con.execute(
            f'create or replace temp table "{stage}" as select * from read_csv($path, '
            "columns=$columns, header=true, delim=',', quote='\"', escape='\"', "
            "auto_detect=false, strict_mode=true, encoding='utf-8', "
            "max_line_size=$max_line, buffer_size=$buffer)",
            {"path": str(f.path), "columns": columns, "max_line": _MAX_LINE_BYTES,
             "buffer": _BUFFER_BYTES},
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
    return StagedFile(
        input=f, stage=stage_name, row_number_sql=row_sql, rows=rows,
        sources=[None if p is None else f"c{p}" for p in positions],
        extra_columns=extra, missing_optional_columns=missing_optional,
    )
