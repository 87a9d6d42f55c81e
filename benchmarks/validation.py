"""Time raw-table validation: the GX suites vs the same checks in plain DuckDB SQL vs dbt build.

    uv run python benchmarks/validation.py                       # 100k customers x 18 months
    uv run python benchmarks/validation.py --customers 20000 --months 12 --keep /tmp/val

Simulates a shop into a temporary CHURN_HOME, then runs each phase in its own child process so
that each phase's peak memory (maximum resident set size, DuckDB buffers included, dbt's own
subprocess included for the dbt phase) is measured separately with `os.wait4`:

- gx:       `expectations.runner.validate_table` on every raw table (the `contract_suite` asset
            check: GX on DataFrame chunks for not-null / allowed values / min-max, DuckDB SQL
            for key uniqueness, references, column list and row count);
- gx_chunk: the same, chunk rules only (the part GX actually executes);
- sql:      the same expectations written as DuckDB SQL straight from `sources.contract.TABLES`
            (one single-pass aggregate per table, one GROUP BY per key, one anti-join per
            reference), and their unexpected counts compared with GX's;
- dbt:      `churn-recall materialize --stage dbt` (dbt build of staging, intermediate and churn
            marts with their 280+ data tests), through the real CLI.

Prints per-phase wall time, peak memory and the ratios; `--json` writes them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBABILITY_SUFFIXES = ("_probability", "_share", "_rate")


# ---------------------------------------------------------------------------- the SQL checks

def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(float(value))


def sql_checks(con, table) -> dict[str, int]:
    """Unexpected-row counts of the raw suite's expectations for `table`, in DuckDB SQL, keyed
    like `gx_counts`: not-null, allowed values and min/max in one pass; key uniqueness (rows in
    duplicate-key groups); orphan references."""
    src = f"raw.{_q(table.name)}"
    exprs: dict[str, str] = {}
    for col in table.columns:
        c = _q(col.name)
        if not col.nullable or col.name in table.key:
            exprs[f"not_null({col.name})"] = f"count_if({c} is null)"
        if col.allowed:
            values = ", ".join(_lit(v) for v in col.allowed)
            exprs[f"in_set({col.name})"] = f"count_if({c} is not null and {c} not in ({values}))"
        low, high = col.min_value, col.max_value
        if col.name.endswith(PROBABILITY_SUFFIXES):
            low = 0 if low is None else max(low, 0)
            high = 1 if high is None else min(high, 1)
        if low is not None or high is not None:
            cond = " or ".join(([f"{c} < {_lit(low)}"] if low is not None else [])
                               + ([f"{c} > {_lit(high)}"] if high is not None else []))
            exprs[f"between({col.name})"] = f"count_if({c} is not null and ({cond}))"
    counts: dict[str, int] = {}
    if exprs:
        row = con.execute(f"select {', '.join(exprs.values())} from {src}").fetchone()
        counts.update(zip(exprs, (int(v) for v in row), strict=True))
    keys = ", ".join(_q(k) for k in table.key)
    not_null = " and ".join(f"{_q(k)} is not null" for k in table.key)
    counts[f"unique({', '.join(table.key)})"] = int(con.execute(
        f"select coalesce(sum(n), 0) from (select count(*) as n from {src} where {not_null} "
        f"group by {keys} having count(*) > 1)").fetchone()[0])
    for fk in table.references:
        counts[f"references({fk.column})"] = int(con.execute(
            f"select count(*) from {src} c where c.{_q(fk.column)} is not null and not exists "
            f"(select 1 from raw.{_q(fk.table)} p where p.{_q(fk.to_column)} = "
            f"c.{_q(fk.column)})").fetchone()[0])
    return counts


_GX_NAMES = {
    "expect_column_values_to_not_be_null": "not_null",
    "expect_column_values_to_be_in_set": "in_set",
    "expect_column_values_to_be_between": "between",
    "expect_column_values_to_be_unique": "unique",
    "expect_compound_columns_to_be_unique": "unique",
    "expect_column_values_to_reference_table": "references",
}


def gx_counts(result) -> dict[str, int]:
    out = {}
    for r in result.results:
        name = _GX_NAMES.get(r.expectation_type)
        if name is None:
            continue
        column = r.column or ", ".join(r.kwargs.get("column_list", []))
        out[f"{name}({column})"] = int(r.unexpected_count)
    return out


# ---------------------------------------------------------------------------- phases (children)

def _phase_simulate(db: Path, customers: int, months: int, seed: int) -> dict:
    import duckdb

    from sources.simulator import SimulationConfig, simulate_to_duckdb

    with duckdb.connect(str(db)) as con:
        simulate_to_duckdb(con, SimulationConfig(customers=customers, months=months, seed=seed))
        names = [r[0] for r in con.execute("select table_name from duckdb_tables() where "
                                           "schema_name = 'raw' order by 1").fetchall()]
        rows = {t: con.execute(f"select count(*) from raw.{_q(t)}").fetchone()[0] for t in names}
    return {"rows": rows}


def _phase_gx(db: Path, chunk_only: bool) -> dict:
    from expectations.registry import suite_for
    from expectations.runner import GxRunner
    from expectations.spec import CHUNK, SuiteSpec
    from sources.contract import TABLES
    from sources.warehouse import connect

    t0 = time.perf_counter()
    runner = GxRunner()  # one GX context for every table
    runner.prepare()  # import GX and build the context now, timed apart
    startup = time.perf_counter() - t0
    out, started = {}, time.perf_counter()
    with connect(db, read_only=True) as con:
        for t in TABLES:
            suite = suite_for("raw", t.name)
            if chunk_only:
                suite = SuiteSpec(suite.name, suite.schema, suite.table,
                                  tuple(s for _, s in suite.of_scope(CHUNK)))
            result = runner.validate_table(con, "raw", t.name, suite=suite)
            out[t.name] = {"seconds": result.duration_s, "rows": result.evaluated_rows,
                           "success": result.success, "counts": gx_counts(result)}
    return {"tables": out, "seconds": time.perf_counter() - started, "startup_s": startup}


def _phase_sql(db: Path) -> dict:
    from sources.warehouse import connect
    from sources.contract import TABLES

    out, started = {}, time.perf_counter()
    with connect(db, read_only=True) as con:
        for t in TABLES:
            t0 = time.perf_counter()
            counts = sql_checks(con, t)
            out[t.name] = {"seconds": time.perf_counter() - t0, "counts": counts}
    return {"tables": out, "seconds": time.perf_counter() - started}


def _child(args) -> None:
    db = Path(args.db)
    if args._phase == "simulate":
        result = _phase_simulate(db, args.customers, args.months, args.seed)
    elif args._phase in ("gx", "gx_chunk"):
        result = _phase_gx(db, chunk_only=args._phase == "gx_chunk")
    elif args._phase == "sql":
        result = _phase_sql(db)
    else:
        raise SystemExit(f"unknown phase {args._phase}")
    Path(args._out).write_text(json.dumps(result))


# ---------------------------------------------------------------------------- driver

def _measure(cmd: list[str], env: dict, log: Path) -> tuple[float, float, int]:
    """Run `cmd`; wall seconds, peak RSS in MiB of it and its descendants, exit code."""
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, proc.returncode


def _run_phase(phase: str, db: Path, work: Path, env: dict, args) -> tuple[dict, float, float]:
    out = work / f"{phase}.json"
    cmd = [sys.executable, __file__, "--_phase", phase, "--db", str(db), "--_out", str(out),
           "--customers", str(args.customers), "--months", str(args.months),
           "--seed", str(args.seed)]
    wall, peak, code = _measure(cmd, env, work / f"{phase}.log")
    if code != 0:
        raise SystemExit(f"phase {phase} failed ({code}):\n"
                         + (work / f"{phase}.log").read_text()[-4000:])
    return json.loads(out.read_text()), wall, peak


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", help="CHURN_HOME to use and keep (default: a temp folder)")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--db")
    parser.add_argument("--_phase", help=argparse.SUPPRESS)
    parser.add_argument("--_out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._phase:
        _child(args)
        return 0

    tmp = None
    if args.keep:
        home = Path(args.keep).resolve()
        home.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="churn-validation-")
        home = Path(tmp.name) / "churn"
        home.mkdir()
    work = home / "bench"
    work.mkdir(exist_ok=True)
    db = home / "warehouse.duckdb"
    env = {**os.environ, "CHURN_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
           "GX_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    figures: dict = {"customers": args.customers, "months": args.months, "phases": {}}

    def note(phase, wall, peak):
        figures["phases"][phase] = {"seconds": round(wall, 2), "peak_rss_mib": round(peak)}
        print(f"  {phase:<10} {wall:8.1f} s   peak {peak:8,.0f} MiB", flush=True)

    try:
        print(f"Validation benchmark: {args.customers:,} customers x {args.months} months, "
              f"{os.cpu_count()} cores, CHURN_HOME={home}", flush=True)
        if not db.exists():
            sim, wall, peak = _run_phase("simulate", db, work, env, args)
            note("simulate", wall, peak)
            figures["rows"] = sim["rows"]
        gx, wall, peak = _run_phase("gx", db, work, env, args)
        note("gx", wall, peak)
        gx_chunk, wall, peak = _run_phase("gx_chunk", db, work, env, args)
        note("gx_chunk", wall, peak)
        sql, wall, peak = _run_phase("sql", db, work, env, args)
        note("sql", wall, peak)
        cli = [sys.executable, "-m", "orchestration.cli", "materialize", "--stage", "dbt"]
        wall, peak, code = _measure(cli, env, work / "dbt.log")
        if code != 0:
            raise SystemExit("dbt stage failed:\n" + (work / "dbt.log").read_text()[-4000:])
        note("dbt", wall, peak)
        dbt_log = (work / "dbt.log").read_text()
        found = re.search(r"Finished running .*? in .*?\(([\d.]+)s\)", dbt_log)
        dbt_build = float(found.group(1)) if found else None

        rows = {t: v["rows"] for t, v in gx["tables"].items()}
        figures["rows"] = rows
        print(f"\nRaw rows: {sum(rows.values()):,} in {len(rows)} tables "
              f"({', '.join(f'{t} {n:,}' for t, n in rows.items() if n)})")
        print(f"\n{'table':<20}{'rows':>12}{'GX s':>9}{'GX chunk s':>12}{'SQL s':>9}"
              f"{'GX/SQL':>9}")
        mismatches = []
        for t, g in gx["tables"].items():
            s, c = sql["tables"][t], gx_chunk["tables"][t]
            ratio = g["seconds"] / s["seconds"] if s["seconds"] else float("nan")
            print(f"{t:<20}{g['rows']:>12,}{g['seconds']:>9.2f}{c['seconds']:>12.2f}"
                  f"{s['seconds']:>9.3f}{ratio:>9.1f}")
            for key, n in g["counts"].items():
                if s["counts"].get(key) != n:
                    mismatches.append(f"{t}.{key}: GX {n} vs SQL {s['counts'].get(key)}")
            missing = set(s["counts"]) - set(g["counts"])
            mismatches += [f"{t}.{key}: only in SQL" for key in sorted(missing)]
        gx_s = sum(v["seconds"] for v in gx["tables"].values())
        chunk_s = sum(v["seconds"] for v in gx_chunk["tables"].values())
        sql_s = sum(v["seconds"] for v in sql["tables"].values())
        checks = sum(len(v["counts"]) for v in sql["tables"].values())
        startup = gx["startup_s"]
        print(f"{'total':<20}{sum(rows.values()):>12,}{gx_s:>9.2f}{chunk_s:>12.2f}"
              f"{sql_s:>9.3f}{gx_s / sql_s:>9.1f}")
        dbt_wall = figures["phases"]["dbt"]["seconds"]
        summary = {
            "gx_startup_s": round(startup, 2),
            "gx_validation_s": round(gx_s, 2), "gx_chunk_rules_s": round(chunk_s, 2),
            "sql_validation_s": round(sql_s, 3), "checks": checks,
            "dbt_stage_s": dbt_wall, "dbt_build_s": dbt_build,
            "gx_over_sql": round(gx_s / sql_s, 1),
            "gx_over_dbt_stage": round(gx_s / dbt_wall, 2),
            "gx_over_dbt_build": round(gx_s / dbt_build, 2) if dbt_build else None,
            "sql_over_dbt_stage": round(sql_s / dbt_wall, 3),
            "counts_agree": not mismatches,
        }
        figures["summary"] = summary
        print(f"\n{checks} checks. GX validation {gx_s:.1f} s (chunk rules in GX {chunk_s:.1f} s;"
              f" plus {startup:.1f} s GX import and context, once per process) vs plain SQL "
              f"{sql_s:.2f} s: GX/SQL = {summary['gx_over_sql']}x")
        print(f"dbt stage {dbt_wall:.1f} s wall (dbt build itself "
              f"{dbt_build if dbt_build else '?'} s): GX/dbt stage = "
              f"{summary['gx_over_dbt_stage']}, GX/dbt build = {summary['gx_over_dbt_build']}, "
              f"SQL/dbt stage = {summary['sql_over_dbt_stage']}")
        print("GX and SQL unexpected counts agree" if not mismatches else
              "GX and SQL DISAGREE:\n  " + "\n  ".join(mismatches[:20]))
        self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        figures["peak_rss_mib"] = {"self": round(self_peak), "largest_child": round(child_peak)}
        print(f"Peak memory: this process {self_peak:,.0f} MiB, largest child "
              f"{child_peak:,.0f} MiB (getrusage self / children)")
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2))
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
