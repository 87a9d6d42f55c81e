"""The four ratios of the scale issue side by side, for one shop size, in one run.

    uv run python benchmarks/ratios.py --customers 100000 --raw-dir /tmp/raw

- dbt feature build vs one hand-written DuckDB query (benchmarks/dbt_features.py, target <= 1.5x);
- GX validation vs the same checks as plain DuckDB SQL, and vs the dbt stage
  (benchmarks/validation.py);
- orchestration overhead: Dagster run wall time / sum of its step times, from the end-to-end
  results of benchmarks/run.py (docs/benchmarks.json) at the same size (target <= 1.3x);
- XGBoost training seconds per million rows (benchmarks/train.py at --train-rows).

Reuses the simulated raw warehouse in --raw-dir when run.py --keep-raw or dbt_features.py left
one there. Prints a markdown table and writes it to docs/benchmark_ratios.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"


def _run(args: list[str]) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in (0, 1):        # dbt_features exits 1 above its target ratio
        raise SystemExit(f"{args[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def dbt_vs_query(customers: int, raw_dir: Path, work: Path) -> dict:
    out = work / "dbt_features.json"
    _run([str(BENCH / "dbt_features.py"), "--customers", str(customers), "--raw-dir",
          str(raw_dir), "--json", str(out)])
    (r,) = json.loads(out.read_text())
    return {"dbt_s": r["dbt_wall_s"], "query_s": r["query_wall_s"], "ratio": r["ratio"],
            "cpu_ratio": r["dbt_cpu_s"] / r["query_cpu_s"], "equal": r["compare"]["equal"]}


def validation(customers: int, raw: Path, work: Path) -> dict:
    home = work / "validation_home"
    home.mkdir()
    shutil.copy(raw, home / "warehouse.duckdb")
    out = work / "validation.json"
    _run([str(BENCH / "validation.py"), "--customers", str(customers), "--keep", str(home),
          "--json", str(out)])
    return json.loads(out.read_text())["summary"]


def train_per_million(rows: int) -> float:
    last = _run([str(BENCH / "train.py"), "--rows", str(rows)]).strip().splitlines()[-1]
    cells = [c.strip() for c in last.strip("|").split("|")]
    return float(cells[6])


def dagster_overhead(customers: int) -> float | None:
    store = ROOT / "docs" / "benchmarks.json"
    if not store.exists():
        return None
    for r in json.loads(store.read_text()):
        if r["customers"] == customers:
            s = r["seconds"]
            return sum(s[k] for k in ("raw", "dbt", "ml", "recall")) / sum(
                r["step_seconds"].values())
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--raw-dir", required=True)
    parser.add_argument("--train-rows", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmark_ratios.md"))
    args = parser.parse_args()
    raw_dir = Path(args.raw_dir)
    with tempfile.TemporaryDirectory(prefix="churn-ratios-") as tmp:
        work = Path(tmp)
        dbt = dbt_vs_query(args.customers, raw_dir, work)
        raw = raw_dir / f"raw_{args.customers}_{args.months}m_s42.duckdb"
        val = validation(args.customers, raw, work)
    per_million = train_per_million(args.train_rows)
    overhead = dagster_overhead(args.customers)
    rows = [
        ("dbt feature build / one hand-written query", f"{dbt['ratio']:.2f}x",
         f"dbt {dbt['dbt_s']:.1f} s vs query {dbt['query_s']:.1f} s wall "
         f"({dbt['cpu_ratio']:.2f}x CPU), outputs equal: {dbt['equal']}", "<= 1.5x"),
        ("GX validation / same checks in DuckDB SQL", f"{val['gx_over_sql']}x",
         f"GX {val['gx_validation_s']:.1f} s vs SQL {val['sql_validation_s']:.1f} s; "
         f"GX / dbt stage {val['gx_over_dbt_stage']}x", ""),
        ("Dagster run wall / sum of step times",
         "n/a" if overhead is None else f"{overhead:.2f}x",
         "from benchmarks/run.py (docs/benchmarks.json)", "<= 1.3x"),
        ("XGBoost training, seconds per million rows", f"{per_million:.1f} s",
         f"benchmarks/train.py, {args.train_rows:,} rows, 2 threads", "< 60 s"),
    ]
    lines = [f"# Benchmark ratios at {args.customers:,} customers", "",
             "| ratio | value | detail | target |", "|---|---:|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
