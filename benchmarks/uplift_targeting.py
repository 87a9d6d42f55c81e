"""Targeting by expected profit: the uplift model against the layer x churn type average and the
planted effects (the oracle), under the same budget, on synthetic campaigns.

    uv run python benchmarks/uplift_targeting.py [--rows 60000] [--candidates 10000]
        [--seeds 0,1,2,3,4] [--budget-shares 0.1,0.3] [--learner x]

Per seed: `--rows` randomized assignments (`ml.uplift.make_assignments`, seed s) train the
uplift model and the layer x type average; `--candidates` fresh customers (seed 100 + s) are
targeted by each policy (`ml.targeting.choose_variants`: the most profitable variant per
customer, positive profit only, then the budget, a share of the candidates at a contact cost of
1) and scored by the planted incremental profit (`ml.targeting.realised_profit`). Prints each
policy's profit and the ratios model / oracle (goal >= 0.8) and model / layer x type average
(goal >= 1.3), per seed and averaged, with the training seconds and peak traced memory.

The layer x type average here knows each customer's true churn type; on a real shop (and in
the simulator) the type is the churn model's leading cause, which makes that baseline weaker.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

from ml.targeting import choose_variants, realised_profit
from ml.uplift import (PLANTED_MATCH, SYNTHETIC_FEATURES, GroupAverageUplift, UpliftModel,
                       make_assignments)


def run_seed(seed: int, rows: int, candidates: int, shares: list[float], learner: str,
             threads: int) -> list[dict]:
    variants = list(PLANTED_MATCH)
    costs = {v: 1.0 for v in variants}
    train = make_assignments(rows, seed=seed)
    pool = make_assignments(candidates, seed=100 + seed)
    tracemalloc.start()
    start = time.perf_counter()
    model = UpliftModel(learner=learner, threads=threads, seed=seed).fit(train, SYNTHETIC_FEATURES)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    truth = pool[[f"true_uplift_{v}" for v in variants]].rename(
        columns=lambda c: c.removeprefix("true_"))
    policies = {"oracle": truth, "model": model.predict(pool),
                "layer_type_average": GroupAverageUplift().fit(train).predict(pool)}
    out = []
    for share in shares:
        budget = share * len(pool)
        profit = {name: realised_profit(
            choose_variants(u, pool["pre_churn_gmv"], costs, variants=variants, budget=budget),
            truth) for name, u in policies.items()}
        out.append({"seed": seed, "budget_share": share, **profit,
                    "model_vs_oracle": profit["model"] / profit["oracle"],
                    "model_vs_average": profit["model"] / profit["layer_type_average"],
                    "fit_seconds": seconds, "peak_mib": peak})
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--budget-shares", default="0.1,0.3")
    parser.add_argument("--learner", default="x", choices=("x", "t"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    shares = [float(s) for s in args.budget_shares.split(",")]
    results = []
    for seed in seeds:
        rows = run_seed(seed, args.rows, args.candidates, shares, args.learner, args.threads)
        results += rows
        for r in rows:
            print(f"seed {seed} budget {r['budget_share']:.0%}: model/oracle "
                  f"{r['model_vs_oracle']:.3f}, model/average {r['model_vs_average']:.3f} "
                  f"(fit {r['fit_seconds']:.1f}s, peak {r['peak_mib']:.0f} MiB)", flush=True)
    table = pd.DataFrame(results)
    summary = table.groupby("budget_share")[["oracle", "model", "layer_type_average",
                                             "model_vs_oracle", "model_vs_average"]].mean()
    print(f"\nmean over seeds {seeds} ({args.rows:,} training rows, {args.learner}-learner):")
    print(summary.round(3).to_string())
    print(f"goals: model/oracle >= 0.8 -> {bool((summary.model_vs_oracle >= 0.8).all())}; "
          f"model/average >= 1.3 -> {bool((summary.model_vs_average >= 1.3).all())}")
    return 0 if np.isfinite(summary.to_numpy()).all() else 1


if __name__ == "__main__":
    raise SystemExit(main())
