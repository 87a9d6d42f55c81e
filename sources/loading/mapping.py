"""Mapping files: load a shop's own export (its file names, column names and value spellings).

`churn-recall load DIR --mapping FILE` (default `CHURN_HOME/mapping.yml` when it exists) reads a
YAML file like this one (every key is optional except those a table needs; docs/mapping.md has
the full reference):

```yaml
defaults:                        # apply to every table loaded (a table's own keys win)
  delimiter: ";"
  time_zone: Europe/Berlin
  decimal_comma: true
tables:
  customers:
    file: "Kunden*.csv"          # glob over the file names in DIR, case-insensitive
    columns: {customer_id: KundenNr, region: Bundesland}   # contract column: file column
  orders:
    file: "Umsaetze*.csv"
    columns:
      order_id: Belegnummer
      customer_id: KundenNr
      ordered_at: Datum
      gmv: Betrag
      status: Status
    timestamp_format: "%d.%m.%Y %H:%M"   # or a list of formats, tried in order
    values:
      status: {Abgeschlossen: paid, Storniert: cancelled, Retoure: returned}
```

Keys of `defaults` and of each table:

- `file` (tables only): a glob matched case-insensitively against the file names in DIR. It
  must match at most one file. A table with `file` is loaded only from the matching file; a
  table without it is found as today (`<table>.csv` / `<table>.parquet`). A required table
  whose pattern matches nothing is refused unless raw already holds rows for it.
- `format`: `csv` or `parquet`; default: the file's suffix.
- `delimiter`: one character (default `,`; `tab` for a tab). `encoding`: `utf-8` (default) or
  `latin-1`.
- `columns` (tables only): contract column -> the file's column (matched trimmed,
  case-insensitively). Contract columns not listed are matched by their own name as without a
  mapping; one file column may feed several contract columns; file columns that feed nothing
  are reported as extra and ignored.
- `timestamp_format`: a DuckDB `strptime` format (or a list) for every timestamp column of the
  table; `timestamp_formats: {column: format}` per column (wins over `timestamp_format`).
  Without one, timestamps are parsed as today (ISO 8601, with or without an offset).
- `time_zone`: the zone of timestamps written without an offset (any name DuckDB knows, e.g.
  `Europe/Berlin`); they are converted to UTC. Timestamps with an offset keep their offset.
  Default: UTC.
- `decimal_comma`: `true` reads numbers written `1.234,56` (dot thousands, comma decimals) in
  every numeric column; values not in that form (e.g. `1234.56`) are read as usual.
- `currency_scale`: a number every money column (the contract's DECIMAL columns) is multiplied
  by, e.g. `0.01` for amounts in cents; or `{column: number}` per money column.
- `values` (tables only): `{column: {file value: contract value}}` for text and boolean
  columns. Keys are matched against the trimmed value; a target of `null` (or `~`) means
  missing. Targets of a coded column (contract `allowed`) must be allowed values; a boolean
  column's targets are `true` / `false`. Every non-blank value of the file must be mapped,
  except values already equal to an allowed or known value (or, for a boolean column, values
  that already read as booleans); blank stays missing.

Every problem is refused before anything is written, with `MappingError` (a `LoadError`) whose
message names the mapping file and line: "mapping.yml line 7: ...". Problems that need the
files (a pattern matching two files, a mapped column the file lacks, a timestamp format that
parses none of the first 1,000 non-blank values, values left unmapped) are found while the files
are staged, still before anything is written. Quarantined rows keep the file's original text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from sources.contract import TABLES, TABLES_BY_NAME, Column, Table
from sources.loading.report import LoadError
from sources.yaml_nodes import NULLS, NodeReader

DEFAULT_FILE_NAME = "mapping.yml"
FORMATS = ("csv", "parquet")  # the file formats the loader reads (files.FORMATS: by suffix)
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "latin-1": "latin-1", "latin1": "latin-1",
             "iso-8859-1": "latin-1"}
FORMAT_CHECK_VALUES = 1000
_SHARED_KEYS = ("format", "delimiter", "encoding", "timestamp_format", "time_zone",
                "decimal_comma", "currency_scale")
_TABLE_KEYS = _SHARED_KEYS + ("file", "columns", "timestamp_formats", "values")


class MappingError(LoadError):
    """A mapping file that cannot be used; the message starts "<file> line <n>: "."""


def column_kind(col: Column) -> str:
    """text, boolean, timestamp, decimal, integer, float or other (from the contract type)."""
    typ = col.type.upper()
    if typ == "VARCHAR":
        return "text"
    if typ == "BOOLEAN":
        return "boolean"
    if typ.startswith("TIMESTAMP"):
        return "timestamp"
    if typ.startswith("DECIMAL") or typ.startswith("NUMERIC"):
        return "decimal"
    if typ in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"):
        return "integer"
    if typ in ("DOUBLE", "FLOAT", "REAL"):
        return "float"
    return "other"


def passing_values(col: Column) -> tuple[str, ...]:
    """Values of a text column that pass a value map unmapped: its allowed or known values."""
    return tuple(col.allowed or ()) + tuple(col.known or ())


@dataclass(frozen=True)
class ValueMap:
    """File value (trimmed) -> contract value (None: missing) for one column."""

    column: str
    line: int
    keys: tuple[str, ...]
    targets: tuple[str | None, ...]


@dataclass
class TableMapping:
    """What a mapping says about one contract table (with `defaults` merged in)."""

    source: str
    table: str
    line: int
    file: str | None = None
    format: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8"
    columns: dict[str, str] = field(default_factory=dict)
    timestamp_formats: dict[str, tuple[str, ...]] = field(default_factory=dict)
    time_zone: str | None = None
    decimal_comma: bool = False
    currency_scales: dict[str, Decimal] = field(default_factory=dict)
    values: dict[str, ValueMap] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        """Line of option `key` ("file", "columns.gmv", "values.status", "time_zone",
        "timestamp_formats.ordered_at", ...), or of the table entry."""
        return self.lines.get(key, self.line)

    def error(self, key: str, message: str, *, file: str | None = None,
              column: str | None = None) -> MappingError:
        return MappingError(f"{self.source} line {self.line_of(key)}: {message}",
                            file=file, table=self.table, column=column)


@dataclass
class Mapping:
    """A parsed mapping file: per contract table, the options that apply to it."""

    source: str
    tables: dict[str, TableMapping] = field(default_factory=dict)
    path: Path | None = None

    def for_table(self, name: str) -> TableMapping | None:
        return self.tables.get(name)

    def check(self, con) -> None:
        """Refuse time zones and timestamp formats DuckDB cannot use (nothing is written)."""
        for spec in self.tables.values():
            if spec.time_zone:
                try:
                    con.execute("select timezone($tz, timestamp '2000-01-01 00:00:00')",
                                {"tz": spec.time_zone}).fetchall()
                except Exception as exc:
                    raise spec.error("time_zone", f"time zone {spec.time_zone!r} (table "
                                     f"{spec.table}) is not known to DuckDB "
                                     f"({_reason(exc)})") from None
            for column, formats in spec.timestamp_formats.items():
                try:
                    con.execute("select try_strptime('2000-01-01', $f)",
                                {"f": list(formats)}).fetchall()
                except Exception as exc:
                    raise spec.error(f"timestamp_formats.{column}",
                                     f"timestamp format {_shown(formats)} for "
                                     f"{spec.table}.{column} cannot be used by DuckDB "
                                     f"({_reason(exc)})", column=column) from None


def _reason(exc: Exception) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = lines[0] if lines else str(exc)
    return text.split("Error: ", 1)[-1]


def _shown(formats: tuple[str, ...]) -> str:
    return repr(formats[0]) if len(formats) == 1 else repr(list(formats))


# -- parsing --------------------------------------------------------------------------------


class _Parser(NodeReader):
    error = MappingError

    def pairs(self, node, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        return [(name, key, value) for name, (key, value) in self.keyed(node, what).items()]

    def text(self, node, what: str) -> str:
        return self.scalar(node, what)

    def texts(self, node, what: str) -> tuple[str, ...]:
        if isinstance(node, yaml.SequenceNode):
            items = tuple(self.text(n, what) for n in node.value)
            if not items:
                raise self.fail(node, f"{what} is an empty list")
            return items
        return (self.text(node, what),)

    def number(self, node, what: str) -> Decimal:
        value = self.text(node, what)
        try:
            number = Decimal(value.replace("_", ""))
        except InvalidOperation:
            raise self.fail(node, f"{what} must be a number, not {value!r}") from None
        if not number.is_finite() or number <= 0:
            raise self.fail(node, f"{what} must be a positive number, not {value!r}")
        return number


def _formats(p: _Parser, node, what: str) -> tuple[str, ...]:
    formats = p.texts(node, what)
    for f in formats:
        if "%" not in f:
            raise p.fail(node, f"{what} {f!r} has no % directive (e.g. \"%d.%m.%Y %H:%M\")")
    return formats


def _column(p: _Parser, t: Table, key: yaml.Node, name: str, what: str) -> Column:
    try:
        return t.column(name)
    except KeyError:
        raise p.fail(key, f"{what}: table {t.name} has no column {name!r} (contract columns: "
                          f"{', '.join(t.column_names)})", table=t.name) from None


def _money_columns(t: Table) -> list[str]:
    return [c.name for c in t.columns if column_kind(c) == "decimal"]


def _apply_option(p: _Parser, spec: TableMapping, t: Table | None, name: str, key, value,
                  where: str) -> None:
    """Set option `name` on `spec`; `t` is None while reading `defaults` (checked later)."""
    line = p.line(value) if value is not None else p.line(key)
    what = f"{where}.{name}"
    if name == "file":
        spec.file = p.text(value, what)
        spec.lines["file"] = line
    elif name == "format":
        fmt = p.text(value, what).lower()
        if fmt not in FORMATS:
            raise p.fail(value, f"{what} must be csv or parquet, not {value.value!r}")
        spec.format = fmt
        spec.lines["format"] = line
    elif name == "delimiter":
        delim = p.text(value, what)
        delim = "\t" if delim.lower() == "tab" else delim
        if len(delim) != 1 or delim in ('"', "\n", "\r"):
            raise p.fail(value, f"{what} must be one character (e.g. \";\" or tab), not "
                                f"{value.value!r}")
        spec.delimiter = delim
        spec.lines["delimiter"] = line
    elif name == "encoding":
        enc = ENCODINGS.get(p.text(value, what).lower())
        if enc is None:
            raise p.fail(value, f"{what} must be utf-8 or latin-1, not {value.value!r}")
        spec.encoding = enc
        spec.lines["encoding"] = line
    elif name == "time_zone":
        spec.time_zone = p.text(value, what)
        spec.lines["time_zone"] = line
    elif name == "decimal_comma":
        spec.decimal_comma = p.boolean(value, what)
        spec.lines["decimal_comma"] = line
    elif name == "timestamp_format":
        formats = _formats(p, value, what)
        targets = [c.name for c in (t.columns if t else ()) if column_kind(c) == "timestamp"]
        if t is not None and not targets:
            raise p.fail(value, f"{what}: table {t.name} has no timestamp columns",
                         table=t.name)
        spec.lines["timestamp_format"] = line
        for col in targets:
            spec.timestamp_formats[col] = formats
            spec.lines[f"timestamp_formats.{col}"] = line
        if t is None:
            spec.timestamp_formats["*"] = formats
    elif name == "currency_scale":
        spec.lines["currency_scale"] = line
        if isinstance(value, yaml.MappingNode):
            if t is None:
                raise p.fail(value, f"{what} in defaults must be one number")
            for col_name, col_key, col_value in p.pairs(value, what):
                col = _column(p, t, col_key, col_name, what)
                if column_kind(col) != "decimal":
                    raise p.fail(col_key, f"{what}: {t.name}.{col.name} is not a money "
                                          f"column (money columns: "
                                          f"{', '.join(_money_columns(t)) or 'none'})",
                                 table=t.name, column=col.name)
                spec.currency_scales[col.name] = p.number(col_value, f"{what}.{col_name}")
                spec.lines[f"currency_scale.{col.name}"] = p.line(col_value)
            return
        scale = p.number(value, what)
        if t is None:
            spec.currency_scales["*"] = scale
            return
        if not _money_columns(t):
            raise p.fail(value, f"{what}: table {t.name} has no money columns", table=t.name)
        for col in _money_columns(t):
            spec.currency_scales[col] = scale
            spec.lines[f"currency_scale.{col}"] = line
    else:  # pragma: no cover - callers check the key first
        raise p.fail(key, f"unknown option {name!r}")


def _columns(p: _Parser, spec: TableMapping, t: Table, node, where: str) -> None:
    for name, key, value in p.pairs(node, f"{where}.columns"):
        col = _column(p, t, key, name, f"{where}.columns")
        source = p.text(value, f"{where}.columns.{name}").strip()
        if not source:
            raise p.fail(value, f"{where}.columns.{name} is blank")
        spec.columns[col.name] = source
        spec.lines[f"columns.{col.name}"] = p.line(key)


def _timestamp_formats(p: _Parser, spec: TableMapping, t: Table, node, where: str) -> None:
    for name, key, value in p.pairs(node, f"{where}.timestamp_formats"):
        col = _column(p, t, key, name, f"{where}.timestamp_formats")
        if column_kind(col) != "timestamp":
            raise p.fail(key, f"{where}.timestamp_formats: {t.name}.{col.name} is not a "
                              f"timestamp column", table=t.name, column=col.name)
        spec.timestamp_formats[col.name] = _formats(p, value,
                                                    f"{where}.timestamp_formats.{name}")
        spec.lines[f"timestamp_formats.{col.name}"] = p.line(key)


def _value_map(p: _Parser, t: Table, col: Column, node, where: str) -> ValueMap:
    kind = column_kind(col)
    if kind not in ("text", "boolean"):
        raise p.fail(node, f"{where}: value maps apply to text and boolean columns; "
                           f"{t.name}.{col.name} is {col.type}", table=t.name, column=col.name)
    pairs = p.pairs(node, where)
    if not pairs:
        raise p.fail(node, f"{where} is empty")
    keys: list[str] = []
    targets: list[str | None] = []
    for raw_key, key, value in pairs:
        file_value = raw_key.strip()
        if key.style is None and raw_key in NULLS or not file_value:
            raise p.fail(key, f"{where}: a blank file value cannot be mapped (blank stays "
                              "missing)", table=t.name, column=col.name)
        if file_value in keys:
            raise p.fail(key, f"{where}: {file_value!r} is mapped twice", table=t.name,
                         column=col.name)
        if not isinstance(value, yaml.ScalarNode):
            raise p.fail(value, f"{where}.{raw_key} must be one value")
        target: str | None = None if value.style is None and value.value in NULLS \
            else value.value
        if target is None and not col.nullable:
            raise p.fail(value, f"{where}: {file_value!r} maps to missing, but "
                                f"{t.name}.{col.name} may not be missing", table=t.name,
                         column=col.name)
        if target is not None and kind == "boolean":
            if target.lower() not in ("true", "false"):
                raise p.fail(value, f"{where}: {file_value!r} maps to {target!r}; "
                                    f"{t.name}.{col.name} is boolean (true or false)",
                             table=t.name, column=col.name)
            target = target.lower()
        if target is not None and col.allowed and target not in col.allowed:
            raise p.fail(value, f"{where}: {file_value!r} maps to {target!r}, which is not "
                                f"an allowed value of {t.name}.{col.name} (allowed: "
                                f"{', '.join(col.allowed)})", table=t.name, column=col.name)
        keys.append(file_value)
        targets.append(target)
    return ValueMap(col.name, p.line(node), tuple(keys), tuple(targets))


def _table(p: _Parser, t: Table, key, node, defaults: TableMapping | None) -> TableMapping:
    where = f"tables.{t.name}"
    spec = TableMapping(source=p.source, table=t.name, line=p.line(key))
    if defaults is not None:
        _merge_defaults(spec, t, defaults)
    if node is None or (isinstance(node, yaml.ScalarNode) and node.style is None
                        and node.value in NULLS):
        return spec
    deferred_formats = None
    for name, opt_key, value in p.pairs(node, where):
        if name not in _TABLE_KEYS:
            raise p.fail(opt_key, f"{where}: unknown option {name!r} (options: "
                                  f"{', '.join(_TABLE_KEYS)})", table=t.name)
        if name == "columns":
            spec.lines["columns"] = p.line(opt_key)
            _columns(p, spec, t, value, where)
        elif name == "timestamp_formats":
            deferred_formats = value  # per column wins over timestamp_format: apply last
        elif name == "values":
            for col_name, col_key, col_value in p.pairs(value, f"{where}.values"):
                col = _column(p, t, col_key, col_name, f"{where}.values")
                spec.values[col.name] = _value_map(p, t, col, col_value,
                                                   f"{where}.values.{col_name}")
                spec.lines[f"values.{col.name}"] = p.line(col_key)
        else:
            if name == "currency_scale":  # the table's own setting replaces the default
                spec.currency_scales.clear()
            _apply_option(p, spec, t, name, opt_key, value, where)
    if deferred_formats is not None:
        _timestamp_formats(p, spec, t, deferred_formats, where)
    return spec


def _merge_defaults(spec: TableMapping, t: Table, defaults: TableMapping) -> None:
    spec.format = defaults.format
    spec.delimiter = defaults.delimiter
    spec.encoding = defaults.encoding
    spec.time_zone = defaults.time_zone
    spec.decimal_comma = defaults.decimal_comma
    spec.lines.update({k: v for k, v in defaults.lines.items()
                       if k in ("format", "delimiter", "encoding", "time_zone",
                                "decimal_comma")})
    formats = defaults.timestamp_formats.get("*")
    if formats:
        for col in t.columns:
            if column_kind(col) == "timestamp":
                spec.timestamp_formats[col.name] = formats
                spec.lines[f"timestamp_formats.{col.name}"] = defaults.lines["timestamp_format"]
    scale = defaults.currency_scales.get("*")
    if scale is not None:
        for col in _money_columns(t):
            spec.currency_scales[col] = scale
            spec.lines[f"currency_scale.{col}"] = defaults.lines["currency_scale"]


def parse_mapping(text: str, source: str = DEFAULT_FILE_NAME) -> Mapping:
    """Parse mapping YAML; `source` names the file in error messages."""
    p = _Parser(source)
    root = p.compose(text)
    if root is None:
        raise MappingError(f"{source} line 1: the mapping file is empty; it needs `tables:`")
    top = p.pairs(root, "the mapping file")
    mapping = Mapping(source=source)
    defaults: TableMapping | None = None
    tables_node = None
    for name, key, value in top:
        if name == "defaults":
            defaults = TableMapping(source=source, table="*", line=p.line(key))
            for opt, opt_key, opt_value in p.pairs(value, "defaults"):
                if opt not in _SHARED_KEYS:
                    raise p.fail(opt_key, f"defaults: unknown option {opt!r} (options: "
                                          f"{', '.join(_SHARED_KEYS)})")
                _apply_option(p, defaults, None, opt, opt_key, opt_value, "defaults")
        elif name == "tables":
            tables_node = value
        else:
            raise p.fail(key, f"unknown key {name!r} (a mapping file has `tables:` and "
                              "optionally `defaults:`)")
    if tables_node is None and defaults is None:
        raise p.fail(root, "the mapping file needs `tables:`")
    if tables_node is not None:
        for name, key, value in p.pairs(tables_node, "tables"):
            t = TABLES_BY_NAME.get(name)
            if t is None:
                raise p.fail(key, f"unknown contract table {name!r} (tables: "
                                  f"{', '.join(TABLES_BY_NAME)})")
            mapping.tables[t.name] = _table(p, t, key, value, defaults)
    if defaults is not None:
        for t in TABLES:
            if t.name not in mapping.tables:
                spec = TableMapping(source=source, table=t.name, line=defaults.line)
                _merge_defaults(spec, t, defaults)
                mapping.tables[t.name] = spec
        mapping.tables = {t.name: mapping.tables[t.name] for t in TABLES}
    return mapping


def load_mapping(path: Path | str) -> Mapping:
    """Read and parse the mapping file at `path` (`MappingError` when it cannot be used)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {path} cannot be read ({exc})") from None
    mapping = parse_mapping(text, path.name)
    mapping.path = path
    return mapping


def default_mapping(home: Path | str) -> Mapping | None:
    """`home/mapping.yml` parsed, or None when there is no such file."""
    path = Path(home) / DEFAULT_FILE_NAME
    return load_mapping(path) if path.is_file() else None
