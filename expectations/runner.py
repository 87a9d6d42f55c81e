"""Run a suite on a DuckDB table: GX on DataFrame chunks, whole-table rules in DuckDB SQL.

The table is streamed as Arrow record batches of `chunk_rows` rows (one query, so one stable
snapshot), each batch becomes a DataFrame of only the columns the chunk rules need, and GX
validates it; counts add up across chunks. Key uniqueness, row counts, schema and references
need the whole table and are answered by SQL. Results are plain dataclasses.

A `GxRunner` owns its GX context (built once, on first use, reused for every table and chunk it
validates) and the results it produced, for `build_data_docs`. Nothing is kept at module level:
two runs in one process, each with its own runner, never see each other's context or results.
`validate_table()` is the one-off form (a runner of its own per call).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from expectations import gx_adapter
from expectations.docs import build_data_docs as _build_docs
from expectations.registry import get_suite, suite_for
from expectations.results import ExpectationResult, SuiteResult
from expectations.spec import (
    CHUNK,
    COLUMN_TO_EXIST,
    COLUMN_UNIQUE,
    COLUMNS_MATCH_ORDERED_LIST,
    COMPOUND_UNIQUE,
    MEAN_BETWEEN,
    REFERENCES,
    ROW_COUNT_BETWEEN,
    SHARE_PER_GROUP,
    TABLE,
    ExpectationSpec,
    SuiteSpec,
)

__all__ = ["ExpectationResult", "GxRunner", "SuiteResult", "build_data_docs", "validate_table"]

SAMPLE_SIZE = gx_adapter.SAMPLE_SIZE


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(con, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() where schema_name = $schema "
        "and table_name = $table order by column_index",
        {"schema": schema, "table": table}).fetchall()


def _select_expr(name: str, data_type: str) -> str:
    typ = data_type.upper()
    if typ.startswith("DECIMAL") or typ in ("HUGEINT", "UHUGEINT"):
        return f"cast({_q(name)} as double) as {_q(name)}"  # pandas floats, not Decimal objects
    return _q(name)


def _missing(spec: ExpectationSpec, names: set[str], scope: str) -> ExpectationResult | None:
    needed = [spec.kwargs["column"]] if "column" in spec.kwargs else list(
        spec.kwargs.get("column_list", [])) if spec.type == COMPOUND_UNIQUE else []
    absent = [c for c in needed if c not in names]
    if not absent:
        return None
    return ExpectationResult(spec.type, spec.column, False, 0, 0, (), scope,
                             detail=f"column(s) missing: {', '.join(absent)}",
                             kwargs=dict(spec.kwargs))


def _table_rule(con, schema: str, table: str, spec: ExpectationSpec,
                columns: list[tuple[str, str]], rows: int) -> ExpectationResult:
    names = [c for c, _ in columns]
    kw = dict(spec.kwargs)

    def result(success: bool, unexpected: int, sample=(), observed=None, detail="",
               elements: int = rows) -> ExpectationResult:
        return ExpectationResult(spec.type, spec.column, success, unexpected, elements,
                                 tuple(sample)[:SAMPLE_SIZE], TABLE, observed, detail, kw)

    if spec.type == COLUMNS_MATCH_ORDERED_LIST:
        expected = list(kw["column_list"])
        missing = [c for c in expected if c not in names]
        extra = [c for c in names if c not in expected]
        misplaced = sum(1 for a, b in zip(expected, names, strict=False) if a != b)
        detail = "; ".join(p for p in (f"missing: {', '.join(missing)}" if missing else "",
                                       f"extra: {', '.join(extra)}" if extra else "",
                                       "order differs" if misplaced and not (missing or extra)
                                       else "") if p)
        return result(names == expected, len(missing) + len(extra) or misplaced,
                      missing + extra, names, detail, len(expected))
    if spec.type == COLUMN_TO_EXIST:
        ok = kw["column"] in names
        return result(ok, 0 if ok else 1, () if ok else (kw["column"],), names, elements=1)
    if spec.type == ROW_COUNT_BETWEEN:
        low, high = kw.get("min_value"), kw.get("max_value")
        ok = (low is None or rows >= low) and (high is None or rows <= high)
        bounds = f">= {low}" if high is None else f"between {low} and {high}"
        return result(ok, 0 if ok else 1, (), rows,
                      "" if ok else f"{rows} rows, expected {bounds}")
    missing = _missing(spec, set(names), TABLE)
    if missing:
        return missing
    src = f"{_q(schema)}.{_q(table)}"
    if spec.type in (COLUMN_UNIQUE, COMPOUND_UNIQUE):
        keys = [kw["column"]] if spec.type == COLUMN_UNIQUE else list(kw["column_list"])
        cols = ", ".join(_q(k) for k in keys)
        not_null = " and ".join(f"{_q(k)} is not null" for k in keys)
        dup = (f"select {cols}, count(*) as n from {src} where {not_null} group by all "
               "having count(*) > 1")
        unexpected = con.execute(f"select coalesce(sum(n), 0) from ({dup})").fetchone()[0]
        sample = [row[0] if len(keys) == 1 else tuple(row[:-1]) for row in con.execute(
            f"{dup} order by n desc, {cols} limit {SAMPLE_SIZE}").fetchall()]
        return result(unexpected == 0, int(unexpected), sample)
    if spec.type == REFERENCES:
        parent, to_col, col = kw["to_table"], kw["to_column"], kw["column"]
        if to_col not in [c for c, _ in _columns(con, schema, parent)]:
            return result(False, 0, (), None, f"referenced {schema}.{parent}.{to_col} missing")
        orphans = (f"from {src} c where c.{_q(col)} is not null and not exists (select 1 from "
                   f"{_q(schema)}.{_q(parent)} p where p.{_q(to_col)} = c.{_q(col)})")
        unexpected = con.execute(f"select count(*) {orphans}").fetchone()[0]
        sample = [r[0] for r in con.execute(
            f"select distinct c.{_q(col)} {orphans} order by 1 limit {SAMPLE_SIZE}").fetchall()]
        return result(unexpected == 0, int(unexpected), sample,
                      detail="" if unexpected == 0 else f"not found in {parent}.{to_col}")
    if spec.type == MEAN_BETWEEN:
        low, high = kw.get("min_value"), kw.get("max_value")
        mean, n = con.execute(f"select avg({_q(kw['column'])}), count({_q(kw['column'])}) "
                              f"from {src}").fetchone()
        if mean is None:
            return result(False, 0, (), None, f"no non-null {kw['column']} values", 0)
        ok = (low is None or mean >= low) and (high is None or mean <= high)
        return result(ok, 0 if ok else 1, () if ok else (round(float(mean), 4),),
                      round(float(mean), 6), "" if ok else
                      f"mean of {kw['column']} is {mean:.4f} over {n} rows, expected between "
                      f"{low} and {high}", int(n))
    if spec.type == SHARE_PER_GROUP:
        group, col = _q(kw["group_by"]), _q(kw["column"])
        share, tolerance = float(kw["share"]), float(kw["tolerance"])
        groups = con.execute(
            f"select {group}, count(*), count(*) filter (where {col} = ?) from {src} "
            f"group by all order by 1", [kw["value"]]).fetchall()
        off = [(g, k, n) for g, n, k in groups if abs(k - n * share) > max(1.0, tolerance * n)]
        sample = [f"{g}: {k}/{n} = {k / n:.3f}" for g, k, n in off]
        return result(not off, len(off), sample,
                      {str(g): round(k / n, 4) for g, n, k in groups},
                      "" if not off else f"{kw['value']} share off {share} by more than "
                      f"{tolerance:.0%} in {len(off)} of {len(groups)} {kw['group_by']} groups",
                      len(groups))
    raise ValueError(f"no SQL rule for expectation type {spec.type}")


def _frames(reader, chunk_rows: int) -> Iterator:
    """DataFrames of exactly `chunk_rows` rows (the last one shorter) from Arrow batches, which
    DuckDB hands out in its own sizes; at most about one chunk is held in memory."""
    pending: list = []
    held = 0
    for batch in reader:
        pending.append(batch)
        held += batch.num_rows
        while held >= chunk_rows:
            buffered = pa.Table.from_batches(pending)
            yield buffered.slice(0, chunk_rows).to_pandas()
            rest = buffered.slice(chunk_rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending).to_pandas()


def _chunk_rules(validator: gx_adapter.GxValidator, con, schema: str, table: str,
                 suite: SuiteSpec, columns: list[tuple[str, str]], chunk_rows: int
                 ) -> tuple[dict[int, ExpectationResult], int]:
    types = dict(columns)
    specs = suite.of_scope(CHUNK)
    results: dict[int, ExpectationResult] = {}
    runnable: list[tuple[int, ExpectationSpec]] = []
    for i, spec in specs:
        missing = _missing(spec, set(types), CHUNK)
        if missing:
            results[i] = missing
        else:
            runnable.append((i, spec))
    if not runnable:
        return results, 0
    runnable_suite = SuiteSpec(suite.name, suite.schema, suite.table,
                               tuple(spec for _, spec in runnable))
    needed = list(dict.fromkeys(spec.kwargs["column"] for _, spec in runnable))
    query = (f"select {', '.join(_select_expr(c, types[c]) for c in needed)} "
             f"from {_q(schema)}.{_q(table)}")
    totals: dict[int, list] = {j: [True, 0, 0, [], ""] for j in range(len(runnable))}
    chunks = 0
    validator.prepare(runnable_suite)  # import GX before the query is open, not during it
    # DuckDB draws a progress bar for a query open > 2 s; here it would only be GX's time.
    progress = con.execute("select current_setting('enable_progress_bar')").fetchone()[0]
    con.execute("set enable_progress_bar = false")
    try:
        for frame in _frames(con.sql(query).to_arrow_reader(chunk_rows), chunk_rows):
            chunks += 1
            outcome = validator.validate_frame(runnable_suite, frame)
            for j, o in outcome.items():
                total = totals[j]
                total[0] = total[0] and o.success
                total[1] += o.unexpected_count
                total[2] += o.element_count
                total[3].extend(o.sample[:SAMPLE_SIZE - len(total[3])])
                total[4] = total[4] or o.error
    finally:
        con.execute(f"set enable_progress_bar = {'true' if progress else 'false'}")
    for j, (i, spec) in enumerate(runnable):
        success, unexpected, elements, sample, error = totals[j]
        results[i] = ExpectationResult(spec.type, spec.column, success, unexpected, elements,
                                       tuple(sample), CHUNK, None, error, dict(spec.kwargs))
    return results, chunks


class GxRunner:
    """Validates tables with one GX context of its own and keeps the latest result per suite.

    Make one per run (a check execution, a benchmark phase) and validate every table of that run
    with it: GX is set up once per runner, and `build_data_docs()` reports this runner's results
    only."""

    def __init__(self, validator: gx_adapter.GxValidator | None = None) -> None:
        self._validator = validator or gx_adapter.GxValidator()
        self._results: dict[str, SuiteResult] = {}

    @property
    def results(self) -> list[SuiteResult]:
        """The latest result of every suite this runner validated, in first-validated order."""
        return list(self._results.values())

    def prepare(self, suite: SuiteSpec | None = None) -> None:
        """Import GX and build the context (and the suite's validation definition) now."""
        self._validator.prepare(suite)

    def validate_table(self, con, schema: str, table: str, suite_name: str | None = None,
                       chunk_rows: int = 500_000, *, suite: SuiteSpec | None = None
                       ) -> SuiteResult:
        """Validate `schema.table` with its suite (by name, the one registered for the table,
        or the `suite` given) and return the aggregated result. Raises LookupError if the table
        is absent."""
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be >= 1")
        started = time.perf_counter()
        spec = suite or (get_suite(suite_name) if suite_name else suite_for(schema, table))
        columns = _columns(con, schema, table)
        if not columns:
            raise LookupError(f"table {schema}.{table} does not exist")
        rows = con.execute(f"select count(*) from {_q(schema)}.{_q(table)}").fetchone()[0]
        by_index = {i: _table_rule(con, schema, table, e, columns, rows)
                    for i, e in spec.of_scope(TABLE)}
        chunk_results, chunks = _chunk_rules(self._validator, con, schema, table, spec, columns,
                                             chunk_rows)
        by_index.update(chunk_results)
        results = tuple(by_index[i] for i in sorted(by_index))
        outcome = SuiteResult(
            suite_name=spec.name, schema=schema, table=table,
            success=all(r.success for r in results), evaluated_rows=rows, chunks=chunks,
            results=results, duration_s=round(time.perf_counter() - started, 3))
        self._results[spec.name] = outcome
        return outcome

    def build_data_docs(self, result_dir: Path, results: list[SuiteResult] | None = None
                        ) -> Path:
        """`build_data_docs` of `results`, default: this runner's latest result per suite."""
        return build_data_docs(result_dir, self.results if results is None else results)


def validate_table(con, schema: str, table: str, suite_name: str | None = None,
                   chunk_rows: int = 500_000, *, suite: SuiteSpec | None = None) -> SuiteResult:
    """`GxRunner.validate_table` with a runner of its own: for one table. To validate several,
    make one `GxRunner` and reuse it (GX is then set up once)."""
    return GxRunner().validate_table(con, schema, table, suite_name, chunk_rows, suite=suite)


def build_data_docs(result_dir: Path, results: list[SuiteResult]) -> Path:
    """Write an HTML report (and the results as JSON) of `results` under `result_dir`. Returns
    the index.html path."""
    return _build_docs(Path(result_dir), list(results))
