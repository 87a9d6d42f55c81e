"""End-to-end benchmark: wall time per stage and peak memory of the whole process tree.

    uv run python benchmarks/run.py --customers 10000,100000,1000000

For each size: simulate, then materialize raw (load + GX validation), dbt, ml (train + score),
recall (segments + effects) as Dagster runs. Writes docs/benchmarks.md (a markdown table, the
cost exponent per stage, the orchestration overhead) and docs/benchmarks.png (time vs size).
Each size runs in a child process; a sampler adds up the RSS of that process tree.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("simulate", "raw", "dbt", "ml", "recall")


def _tree_rss_mb(root_pid: int) -> float:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm") as f:
                rss[int(entry)] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / 2**20


def run_size(customers: int, months: int, keep_raw: str | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="churn-bench-") as home:
        env = {**os.environ, "CHURN_HOME": home, "DAGSTER_HOME": f"{home}/dagster"}
        extra = ["--keep-raw", keep_raw] if keep_raw else []
        proc = subprocess.Popen([sys.executable, __file__, "--one", str(customers),
                                 "--months", str(months), *extra], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, text=True)
        peak = 0.0
        done = threading.Event()

        def sample():
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_mb(proc.pid))
                time.sleep(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out, _ = proc.communicate()
        done.set()
        sampler.join()
        if proc.returncode != 0:
            raise SystemExit(f"benchmark at {customers:,} customers failed")
        result = json.loads(out.strip().splitlines()[-1])
        result["peak_mb"] = round(peak)
        return result


def one(customers: int, months: int, keep_raw: str | None) -> None:
    """Child process: one size, prints a JSON line of timings."""
    sys.path.insert(0, str(ROOT))
    from orchestration.environment import current
    from orchestration.lib.dbt_manifest import prepare
    from orchestration.runner import materialize
    from sources import warehouse
    from sources.simulator import SimulationConfig, simulate_to_duckdb

    prepare()  # the dbt manifest, untimed: the definitions never parse dbt on import
    env = current().prepare()
    os.environ["DAGSTER_HOME"] = str(env.dagster_home)
    started = time.perf_counter()
    with warehouse.connect(env.warehouse) as con:
        simulate_to_duckdb(con, SimulationConfig(customers=customers, months=months))
        rows = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0]
                for t in ("customers", "orders", "events")}
    timings = {"simulate": time.perf_counter() - started}
    if keep_raw:
        # Same file name as benchmarks/dbt_features.py --raw-dir reuses (default seed).
        cfg = SimulationConfig(customers=customers, months=months)
        target = Path(keep_raw) / f"raw_{customers}_{months}m_s{cfg.seed}.duckdb"
        target.parent.mkdir(parents=True, exist_ok=True)
        copy_started = time.perf_counter()
        shutil.copy(env.warehouse, target)
        started += time.perf_counter() - copy_started  # the copy is not part of the pipeline
    steps: dict = {}
    for t in materialize(str(env.home), stages=("raw", "dbt", "ml", "recall"),
                         progress=lambda m: print(m, file=sys.stderr)):
        timings[t.stage] = t.seconds
        steps[t.stage] = sum(t.steps.values())
    timings["end_to_end"] = time.perf_counter() - started
    print(json.dumps({"customers": customers, "rows": rows,
                      "seconds": {k: round(v, 1) for k, v in timings.items()},
                      "step_seconds": {k: round(v, 1) for k, v in steps.items()}}))


def exponent(sizes: list[int], values: list[float]) -> float | None:
    if len(sizes) < 2 or min(values) <= 0:
        return None
    return math.log(values[-1] / values[0]) / math.log(sizes[-1] / sizes[0])


def write_report(results: list[dict], out: Path) -> None:
    sizes = [r["customers"] for r in results]
    lines = ["# Benchmarks", "", "Machine: 2 cores, 24 GB. Seconds per stage; peak = RSS of "
             "the whole process tree (dbt subprocesses included).", "",
             "| customers | orders | events | " + " | ".join(STAGES) +
             " | end to end | peak MB | Dagster overhead |",
             "|---:|---:|---:|" + "---:|" * len(STAGES) + "---:|---:|---:|"]
    for r in results:
        s = r["seconds"]
        run_wall = sum(s[k] for k in ("raw", "dbt", "ml", "recall"))
        steps = sum(r["step_seconds"].values())
        lines.append(f"| {r['customers']:,} | {r['rows']['orders']:,} | {r['rows']['events']:,} | "
                     + " | ".join(f"{s[k]:.1f}" for k in STAGES)
                     + f" | {s['end_to_end']:.1f} | {r['peak_mb']:,} | "
                     f"{run_wall / steps:.2f}x |")
    lines += ["", "Cost exponent (time ~ customers^k, first to last size):", ""]
    for k in (*STAGES, "end_to_end"):
        e = exponent(sizes, [r["seconds"][k] for r in results])
        lines.append(f"- {k}: {'n/a' if e is None else f'{e:.2f}'}")
    lines += ["", "Dagster overhead = wall time of the Dagster runs / sum of their step times "
              "(target <= 1.3x). The other ratios (dbt vs one hand-written query, GX vs plain "
              "SQL, XGBoost seconds per million rows) are in "
              "[benchmark_ratios.md](benchmark_ratios.md) (`benchmarks/ratios.py`)."]
    out.write_text("\n".join(lines) + "\n")
    try:
        from ml.plots import _canvas, _save

        fig = _canvas(6.5, 4.5)
        ax = fig.add_subplot(1, 1, 1)
        for k in (*STAGES, "end_to_end"):
            ax.plot(sizes, [r["seconds"][k] for r in results], marker="o", label=k)
        ax.set(xscale="log", yscale="log", xlabel="customers", ylabel="seconds",
               title="Time per stage vs size")
        ax.legend(fontsize=8)
        _save(fig, out.with_suffix(".png"))
    except ImportError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", default="10000,100000")
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--keep-raw", help="copy each simulated raw warehouse into this folder "
                        "(for benchmarks/dbt_features.py --raw-dir)")
    parser.add_argument("--results", default=str(ROOT / "docs" / "benchmarks.json"),
                        help="results of every size measured so far; the report covers them all")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the report from --results without measuring")
    args = parser.parse_args()
    if args.one:
        one(args.one, args.months, args.keep_raw)
        return
    store = Path(args.results)
    saved = {r["customers"]: r for r in json.loads(store.read_text())} if store.exists() else {}
    sizes = [] if args.report_only else [int(x) for x in args.customers.split(",")]
    for n in sizes:
        r = run_size(n, args.months, args.keep_raw)
        saved[n] = r
        store.write_text(json.dumps([saved[k] for k in sorted(saved)], indent=1) + "\n")
        print(json.dumps(r), flush=True)
    write_report([saved[k] for k in sorted(saved)], Path(args.out))
    print(Path(args.out).read_text())


if __name__ == "__main__":
    main()
