"""XGBoost training time and peak memory on ~1M rows x the model's features.

    uv run python benchmarks/train.py --rows 1000000 [--device cpu|cuda]

Uses ml.synthetic snapshots (churn planted through a few features) so the benchmark needs no
warehouse; the training call is the pipeline's own `ml.train.train_xgboost`. Prints seconds per
million rows, boosting rounds and peak RSS. Target: under 60 s for 1M rows on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import time

from ml import dataset, train
from ml.synthetic import make_snapshots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    args = parser.parse_args()
    snapshots_n = 6
    t0 = time.perf_counter()
    snaps = make_snapshots(n_customers=args.rows // (snapshots_n - 1), n_snapshots=snapshots_n,
                           seed=1)
    split = dataset.time_split(snaps)
    prep = time.perf_counter() - t0
    t0 = time.perf_counter()
    params = train.XGBParams(device=args.device)
    model = train.train_xgboost(split.X_train, split.y_train, split.X_valid, split.y_valid,
                                threads=args.threads, max_rounds=400, params=params)
    seconds = time.perf_counter() - t0
    rows = len(split.X_train) + len(split.X_valid)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| rows | features | device | threads | rounds | train s | s per 1M rows | "
          f"data prep s | peak MB |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    print(f"| {rows:,} | {split.X_train.shape[1]} | {args.device} | {args.threads} | "
          f"{model.best_iteration} | {seconds:.1f} | "
          f"{seconds / rows * 1e6:.1f} | {prep:.1f} | {peak:,.0f} |")


if __name__ == "__main__":
    main()
