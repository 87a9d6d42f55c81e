"""Time the simulator: rows per table, rows per second, wall time and peak memory.

    uv run python benchmarks/simulate.py --customers 100000 --months 18 --seed 42
    uv run python benchmarks/simulate.py --customers 100000 --profile sim.prof

Simulates into a DuckDB file in a temporary folder (removed afterwards) with
`sources.simulator.simulate_to_duckdb`, then prints the table and one markdown table row
(after its header) to paste into a results table. Peak memory is the process's maximum resident
set size (`resource.getrusage`), DuckDB's buffers included.
"""

from __future__ import annotations

import argparse
import cProfile
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import duckdb

from sources.simulator import SimulationConfig, simulate_to_duckdb


def _peak_rss_mib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kib / 1024


def _table_rows(con) -> list[tuple[str, int]]:
    names = con.execute(
        "select schema_name, table_name from duckdb_tables() where schema_name in ('raw', "
        "'truth') order by schema_name, table_name").fetchall()
    return [(f"{s}.{t}", con.execute(f'select count(*) from "{s}"."{t}"').fetchall()[0][0])
            for s, t in names]


def run(customers: int, months: int, seed: int, profile: Path | None = None,
        chunk_size: int | None = None) -> dict:
    cfg = SimulationConfig(customers=customers, months=months, seed=seed)
    if chunk_size:
        cfg = replace(cfg, chunk_size=chunk_size)
    with tempfile.TemporaryDirectory(prefix="churn-bench-") as tmp:
        path = Path(tmp) / "warehouse.duckdb"
        con = duckdb.connect(str(path))
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        simulate_to_duckdb(con, cfg, progress=lambda msg: print(f"  {msg}", flush=True))
        if profiler:
            profiler.disable()
        wall = time.perf_counter() - started
        if profiler:
            profiler.dump_stats(str(profile))
        tables = _table_rows(con)
        con.close()
        file_mib = path.stat().st_size / 2**20
    raw_rows = sum(n for name, n in tables if name.startswith("raw."))
    return {"customers": customers, "months": months, "seed": seed, "wall_s": wall,
            "tables": tables, "raw_rows": raw_rows, "rows_per_s": raw_rows / wall,
            "peak_rss_mib": _peak_rss_mib(), "file_mib": file_mib}


def report(r: dict) -> str:
    width = max(len(name) for name, _ in r["tables"])
    lines = [f"{name:<{width}} {rows:>14,}" for name, rows in r["tables"]]
    lines += [
        f"{'raw rows':<{width}} {r['raw_rows']:>14,}",
        (f"wall time {r['wall_s']:.1f} s, {r['rows_per_s']:,.0f} raw rows/s, "
         f"peak RSS {r['peak_rss_mib']:,.0f} MiB, DuckDB file {r['file_mib']:,.0f} MiB"),
        "",
        "| customers | months | seed | raw rows | wall (s) | raw rows/s | peak RSS (MiB) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        (f"| {r['customers']:,} | {r['months']} | {r['seed']} | {r['raw_rows']:,} | "
         f"{r['wall_s']:.1f} | {r['rows_per_s']:,.0f} | {r['peak_rss_mib']:,.0f} |"),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk-size", type=int, default=None,
                        help="customers per chunk (default: the simulator's)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write cProfile stats of the simulation to this file")
    args = parser.parse_args(argv)
    print(f"Simulating {args.customers:,} customers x {args.months} months "
          f"(seed {args.seed}) ...", flush=True)
    print(report(run(args.customers, args.months, args.seed, args.profile, args.chunk_size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
