"""Type and check a staged file in DuckDB, then write accepted rows to raw, rejected to quarantine.

All SQL is generated from the contract: identifiers are quoted contract names, and every value
(allowed sets, bounds, the reference time, file names, a mapping's value maps, formats, scales and
time zone) travels as a named bind parameter. Input values are never pasted into SQL.

Per column, the checked table is built in steps: `r` the file's text (what quarantine keeps),
`o` trimmed (text columns verbatim) with blank as missing, `n` after a mapping's conversions
(value map, decimal comma), `t` typed (timestamp format, time zone, currency scale applied).
"""

from __future__ import annotations

import re
from datetime import datetime

from sources.contract import QUARANTINE_SCHEMA, RAW_SCHEMA, TABLES_BY_NAME, Column, Table
from sources.loading.files import StagedFile
from sources.loading.mapping import TableMapping, column_kind
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
    UNPARSABLE,
    FileReport,
    RuleCount,
)

# Timestamps that legitimately lie ahead of the load (the contract has no flag for this yet).
FUTURE_ALLOWED_COLUMNS = frozenset({"expires_at", "ends_at"})
SIGNUP_TABLE, SIGNUP_KEY, SIGNUP_COLUMN = "customers", "customer_id", "signup_at"
QUARANTINE_EXTRA = (
    ("_rule", "VARCHAR"), ("_column", "VARCHAR"), ("_detail", "VARCHAR"),
    ("_source_file", "VARCHAR"), ("_row_number", "BIGINT"), ("_loaded_at", "TIMESTAMP"),
)
_EXAMPLE_CHARS = 60


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def rel(schema: str, name: str) -> str:
    return f"{q(schema)}.{q(name)}"


class Params:
    """Collects bind parameters while SQL is generated: `p(value)` returns `$pN`."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def __call__(self, value: object) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def create_quarantine_table(con, t: Table) -> None:
    cols = [f"{q(c.name)} VARCHAR" for c in t.columns]
    cols += [f"{q(n)} {typ}" for n, typ in QUARANTINE_EXTRA]
    con.execute(f"create schema if not exists {q(QUARANTINE_SCHEMA)}")
    con.execute(f"create table if not exists {rel(QUARANTINE_SCHEMA, t.name)} "
                f"({', '.join(cols)})")


def _kind(col: Column) -> str:
    return column_kind(col)


def _violation(p: Params, rule: str, column: str, detail_sql: str) -> str:
    return f"{{'rule': {p(rule)}, 'column': {p(column)}, 'detail': {detail_sql}}}"


def _quoted_example(expr: str) -> str:
    return f"concat('''', left({expr}, {_EXAMPLE_CHARS}), '''')"


def _detail(p: Params, value_sql: str, suffix: str) -> str:
    """SQL for a detail text: the (shortened) offending value then a fixed explanation."""
    return f"concat({value_sql}, {p(suffix)})"


def _column_rules(p: Params, i: int, col: Column, now: datetime) -> list[str]:
    """`when ... then violation` branches for column i, in rule order."""
    n, t = f"n{i}", f"t{i}"
    kind = _kind(col)
    example = _quoted_example(f"o{i}")
    shown = f"cast({t} as varchar)"
    out: list[str] = []

    def rule(cond: str, name: str, detail_sql: str) -> None:
        out.append(f"when {cond} then {_violation(p, name, col.name, detail_sql)}")

    if not col.nullable:
        rule(f"{n} is null", NOT_NULL, p("missing value"))
    if kind in ("decimal", "integer", "float"):
        rule(f"{n} is not null and regexp_full_match(lower({n}), '[+-]?(nan|inf|infinity)')",
             NOT_FINITE, _detail(p, example, " is not finite"))
        too_big = _detail(p, example, f" does not fit {col.type}")
        if kind == "float":
            rule(f"isinf({t})", OVERFLOW, too_big)
        else:
            rule(f"{n} is not null and {t} is null and try_cast({n} as double) is not null",
                 OVERFLOW, too_big)
        if kind == "integer":
            rule(f"{t} is not null and try_cast({n} as double) <> {t}", UNPARSABLE,
                 _detail(p, example, " is not a whole number"))
    if kind != "text":
        rule(f"{n} is not null and {t} is null", UNPARSABLE,
             _detail(p, example, f" is not a valid {col.type}"))
    if col.min_value is not None:
        rule(f"{t} < {p(col.min_value)}", BELOW_MIN,
             _detail(p, shown, f" < minimum {col.min_value:g}"))
    if col.max_value is not None:
        rule(f"{t} > {p(col.max_value)}", ABOVE_MAX,
             _detail(p, shown, f" > maximum {col.max_value:g}"))
    if col.allowed:
        rule(f"{t} is not null and not list_contains({p(list(col.allowed))}, {t})", NOT_ALLOWED,
             _detail(p, _quoted_example(t), " not in " + "/".join(col.allowed)))
    if kind == "timestamp" and col.name not in FUTURE_ALLOWED_COLUMNS:
        rule(f"{t} > {p(now)}", FUTURE_TIMESTAMP, _detail(p, shown, " is after the load time"))
    return out


# Numbers written with a decimal comma: optional sign, digits with dot thousands groups (or
# none), optional comma decimals. Others (e.g. 1234.56) are read as usual.
_DECIMAL_COMMA = r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?"


def _converted(p: Params, i: int, col: Column, spec: TableMapping | None) -> str:
    """SQL for n{i}: o{i} after the mapping's value map or decimal comma (o{i} without)."""
    o = f"o{i}"
    if spec is None:
        return o
    kind = _kind(col)
    vm = spec.values.get(col.name)
    if vm is not None:
        keys = p(list(vm.keys))
        targets = p(list(vm.targets))
        return (f"case when list_contains({keys}, trim({o})) then cast({targets} as varchar[])"
                f"[list_position({keys}, trim({o}))] else {o} end")
    if spec.decimal_comma and kind in ("decimal", "integer", "float"):
        return (f"case when regexp_full_match({o}, '{_DECIMAL_COMMA}') then "
                f"replace(replace({o}, '.', ''), ',', '.') else {o} end")
    return o


def _typed(p: Params, i: int, col: Column, spec: TableMapping | None) -> str:
    n = f"n{i}"
    kind = _kind(col)
    if kind == "text":
        return n
    if kind == "timestamp":
        # The load runs with TimeZone=UTC (or the mapping's time zone while this table is
        # typed): strings without offset are in that zone, others converted; stored as UTC.
        formats = spec.timestamp_formats.get(col.name) if spec else None
        if formats:
            return f"timezone('UTC', cast(try_strptime({n}, {p(list(formats))}) as timestamptz))"
        return f"timezone('UTC', try_cast({n} as timestamptz))"
    scale = spec.currency_scales.get(col.name) if spec else None
    if kind == "decimal" and scale is not None:
        return f"try_cast(try_cast({n} as DECIMAL(38, 6)) * {p(scale)} as {col.type})"
    return f"try_cast({n} as {col.type})"


def _checked_sql(s: StagedFile, now: datetime, p: Params, target: str) -> str:
    t = s.input.table
    spec = s.input.mapping
    src = [f"{s.row_number_sql} as _row_number"]
    src += [f"{q(c) if c else 'null::varchar'} as r{i}" for i, c in enumerate(s.sources)]
    norm = []
    for i, col in enumerate(t.columns):
        if _kind(col) == "text":  # text stays verbatim; blank means missing
            norm.append(f"case when trim(r{i}) = '' then null else r{i} end as o{i}")
        else:
            norm.append(f"nullif(trim(r{i}), '') as o{i}")
    conv = [f"{_converted(p, i, col, spec)} as n{i}" for i, col in enumerate(t.columns)]
    typed = [f"{_typed(p, i, col, spec)} as t{i}" for i, col in enumerate(t.columns)]
    branches = [b for i, col in enumerate(t.columns) for b in _column_rules(p, i, col, now)]
    keep = ["_row_number"] + [f"r{i}" for i in range(len(t.columns))] + [
        f"t{i}" for i in range(len(t.columns))]
    return (
        f"create or replace temp table {q(target)} as\n"
        f"with src as (select {', '.join(src)} from {q(s.stage)}),\n"
        f"norm as (select *, {', '.join(norm)} from src),\n"
        f"conv as (select *, {', '.join(conv)} from norm),\n"
        f"typed as (select *, {', '.join(typed)} from conv)\n"
        f"select {', '.join(keep)}, case\n  " + "\n  ".join(branches) + "\nend as _v from typed"
    )


def _final_sql(t: Table, p: Params, checked: str, target: str) -> str:
    idx = {c.name: i for i, c in enumerate(t.columns)}
    keys = [f"t{idx[k]}" for k in t.key]
    key_label = ", ".join(t.key)
    raw = rel(RAW_SCHEMA, t.name)
    key_match = " and ".join(f"e.{q(k)} = r.t{idx[k]}" for k in t.key)
    same_row = " and ".join(f"e.{q(c.name)} is not distinct from r.t{i}"
                            for i, c in enumerate(t.columns))
    dup = _violation(p, DUPLICATE_KEY_IN_FILE, key_label,
                     f"concat({p('same key as row ')}, _dup_first)")
    same = _violation(p, ALREADY_LOADED, key_label, p("identical row already loaded"))
    conflict = _violation(p, DUPLICATE_KEY_CONFLICT, key_label,
                          p("duplicate key conflicts with loaded row"))
    branches = [
        "when _v is not null then _v",
        f"when _dup_rank > 1 then {dup}",
        f"when exists (select 1 from {raw} e where {same_row}) then {same}",
        f"when exists (select 1 from {raw} e where {key_match}) then {conflict}",
    ]
    for fk in t.references:
        parent = rel(RAW_SCHEMA, fk.table)
        child = f"r.t{idx[fk.column]}"
        orphan = _violation(p, ORPHAN_REFERENCE, fk.column, _detail(
            p, _quoted_example(child), f" not found in {fk.table}.{fk.to_column}"))
        branches.append(
            f"when {child} is not null and not exists (select 1 from {parent} e "
            f"where e.{q(fk.to_column)} = {child}) then {orphan}")
    signup_fks = [fk for fk in t.references
                  if fk.table == SIGNUP_TABLE and fk.to_column == SIGNUP_KEY]
    if t.time_column and t.name != SIGNUP_TABLE:
        time = f"r.t{idx[t.time_column]}"
        for fk in signup_fks:
            child = f"r.t{idx[fk.column]}"
            early = _violation(p, BEFORE_SIGNUP, t.time_column, _detail(
                p, f"cast({time} as varchar)", f" is before the signup_at of its {fk.column}"))
            branches.append(
                f"when exists (select 1 from {rel(RAW_SCHEMA, SIGNUP_TABLE)} e "
                f"where e.{q(SIGNUP_KEY)} = {child} and {time} < e.{q(SIGNUP_COLUMN)}) "
                f"then {early}")
    partition = ", ".join(["_v is null", *keys])
    return (
        f"create or replace temp table {q(target)} as\n"
        f"with ranked as (select *, case when _v is null then row_number() over "
        f"(partition by {partition} order by _row_number) end as _dup_rank, "
        f"case when _v is null then min(_row_number) over (partition by {partition}) end "
        f"as _dup_first from {q(checked)})\n"
        f"select r.*, case\n  " + "\n  ".join(branches) + "\nend as _final from ranked r"
    )


def dependency_order(tables: list[Table]) -> list[Table]:
    """Tables ordered so that every referenced table comes before the tables referencing it."""
    names = {t.name for t in tables}
    done: list[Table] = []
    pending = list(tables)
    while pending:
        ready = [t for t in pending if all(fk.table not in names or fk.table == t.name
                                           or TABLES_BY_NAME[fk.table] in done
                                           for fk in t.references)]
        if not ready:  # a reference cycle: keep contract order for the rest
            ready = pending[:1]
        for t in ready:
            done.append(t)
            pending.remove(t)
    return done


def apply(con, s: StagedFile, now: datetime) -> FileReport:
    """Check every row of a staged file, insert accepted and quarantined rows, count them."""
    t = s.input.table
    checked, final = f"_load_checked_{t.name}", f"_load_final_{t.name}"
    p = Params()
    sql = _checked_sql(s, now, p, checked)
    zone = s.input.mapping.time_zone if s.input.mapping else None
    if zone:  # timestamps without an offset are in the mapping's zone while typed
        con.execute("set TimeZone = $zone", {"zone": zone})
    try:
        con.execute(sql, p.values)
    finally:
        if zone:
            con.execute("set TimeZone = 'UTC'")
    p = Params()
    con.execute(_final_sql(t, p, checked, final), p.values)

    cols = ", ".join(q(c.name) for c in t.columns)
    n = len(t.columns)
    con.execute(
        f"insert into {rel(RAW_SCHEMA, t.name)} ({cols}) select "
        + ", ".join(f"t{i}" for i in range(n))
        + f" from {q(final)} where _final is null order by _row_number")
    # A rejected row already in quarantine from an earlier load of the same file (same row
    # number, rule and values) is not stored twice, so reruns leave quarantine unchanged too.
    quarantine = rel(QUARANTINE_SCHEMA, t.name)
    extra = ", ".join(q(name) for name, _ in QUARANTINE_EXTRA)
    same = " and ".join(f"e.{q(c.name)} is not distinct from f.r{i}"
                        for i, c in enumerate(t.columns))
    before = con.execute(f"select count(*) from {quarantine}").fetchone()[0]
    con.execute(
        f"insert into {quarantine} ({cols}, {extra}) select "
        + ", ".join(f"f.r{i}" for i in range(n))
        + ", f._final.rule, f._final.column, f._final.detail, $file, f._row_number, $loaded_at "
        f"from {q(final)} f where f._final is not null and f._final.rule <> $skip "
        f"and not exists (select 1 from {quarantine} e where e._source_file = $file "
        f"and e._row_number = f._row_number and e._rule = f._final.rule and {same}) "
        "order by f._row_number",
        {"file": s.input.name, "loaded_at": now, "skip": ALREADY_LOADED})
    inserted = con.execute(f"select count(*) from {quarantine}").fetchone()[0] - before
    counts = con.execute(
        f"select _final.rule, _final.column, count(*), min(_row_number), "
        f"arg_min(_final.detail, _row_number) from {q(final)} "
        "group by all order by min(_row_number)").fetchall()
    for tmp in (checked, final):
        con.execute(f"drop table if exists {q(tmp)}")

    report = FileReport(file=s.input.name, table=t.name, format=s.input.format,
                        input_rows=s.rows, extra_columns=s.extra_columns,
                        missing_optional_columns=s.missing_optional_columns)
    for rule, column, rows, first_row, example in counts:
        if rule is None:
            report.accepted += rows
            continue
        report.rules.append(RuleCount(s.input.name, t.name, column, rule, rows, first_row,
                                      re.sub(r"\s+", " ", example or "")))
        if rule == ALREADY_LOADED:
            report.skipped += rows
        else:
            report.quarantined += rows
    report.already_quarantined = report.quarantined - inserted
    if not report.balanced:  # a bug, never bad input: refuse to commit a lossy load
        raise RuntimeError(
            f"{s.input.name}: {s.rows} rows in but {report.accepted} accepted + "
            f"{report.quarantined} quarantined + {report.skipped} skipped")
    return report
