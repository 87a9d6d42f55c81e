"""Our uplift meta-learner against scikit-uplift's TwoModels on the same assignments.

    uv run --group bench python benchmarks/uplift.py --rows 100000 [--threads 2] [--seed 0]

Data: `ml.uplift.make_assignments` (randomized, three variants sharing one control group,
planted per-customer effects); `--rows` training assignments and as many held-out ones.
Contenders, each variant against the pooled control, all with the same XGBoost settings
(ml.uplift.UPLIFT_PARAMS, `--threads`):
- ours: `ml.uplift.UpliftModel` (X-learner, the default, and the T-learner), all variants in
  one fit, early stopping on 20% of each arm;
- scikit-uplift 0.5.1 `TwoModels(method="vanilla")` (a T-learner) and `TwoModels(method=
  "ddr_control")` (dependent data representation), one fit per variant, XGBClassifier with
  the round count of our control outcome model (sklift has no early stopping);
- the layer x churn type average and random ranking, scored by the same functions.
causalml 0.18 is not used: it cannot be locked with this project (it needs black>=26, hence
pathspec>=1, and dbt-core pins pathspec<0.13); scikit-uplift is in the `bench` group.

Prints held-out Qini coefficient (mean over variants, and each), Qini against the planted
effect, training seconds and peak traced memory (tracemalloc, Python and numpy allocations;
XGBoost's C++ memory is not traced) of each, and ours/theirs ratios. Without scikit-uplift
installed the two-model rows are left out and it says so.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

import numpy as np
import pandas as pd

from ml import uplift
from ml.uplift import UPLIFT_PARAMS, UpliftModel, make_assignments, qini_coefficient


def _measure(fit):
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    result = fit()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, seconds, peak


def _sklift_scores(train, test, features, threads, seed, method, rounds):
    from sklift.models import TwoModels
    from xgboost import XGBClassifier

    def xgb():
        p = UPLIFT_PARAMS
        return XGBClassifier(n_estimators=rounds, max_depth=p.max_depth,
                             learning_rate=p.learning_rate, subsample=p.subsample,
                             colsample_bytree=p.colsample_bytree,
                             min_child_weight=p.min_child_weight, reg_lambda=p.reg_lambda,
                             tree_method="hist", n_jobs=threads, random_state=seed)

    scores = {}
    for v in uplift.PLANTED_MATCH:
        keep = train["variant"].isin([v, uplift.CONTROL]).to_numpy()
        model = TwoModels(estimator_trmnt=xgb(), estimator_ctrl=xgb(), method=method)
        model.fit(train.loc[keep, features], train.loc[keep, "returned"],
                  (train.loc[keep, "variant"] == v).astype(int))
        scores[v] = np.asarray(model.predict(test[features]), dtype=float)
    return scores


def _qini(test: pd.DataFrame, scores: dict[str, np.ndarray], *, planted: bool) -> dict:
    out = {}
    for v, score in scores.items():
        keep = test["variant"].isin([v, uplift.CONTROL]).to_numpy()
        treated = (test["variant"][keep] == v).to_numpy(dtype=int)
        outcome = test["returned"][keep].to_numpy(dtype=float)
        if planted:  # expected outcome: the planted probability, no draw noise
            outcome = (test["p_control_true"][keep].to_numpy()
                       + treated * test[f"true_uplift_{v}"][keep].to_numpy())
        out[v] = qini_coefficient(np.asarray(score)[keep], treated, outcome)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    features = list(uplift.SYNTHETIC_FEATURES)
    train = make_assignments(args.rows, seed=args.seed)
    test = make_assignments(args.rows, seed=args.seed + 1000)
    variants = list(uplift.PLANTED_MATCH)

    rows = {}
    rounds = None
    for learner in ("x", "t"):
        model, seconds, peak = _measure(lambda learner=learner: UpliftModel(
            learner=learner, threads=args.threads, seed=args.seed).fit(train, features))
        pred = model.predict(test)
        rows[f"ours {learner.upper()}-learner"] = (
            {v: pred[f"uplift_{v}"].to_numpy() for v in variants}, seconds, peak)
        rounds = model.best_iterations["mu_control"] + 1
    try:
        import sklift  # noqa: F401
    except ImportError:
        print("scikit-uplift not installed (uv run --group bench ...): two-model rows left out")
    else:
        for method in ("vanilla", "ddr_control"):
            scores, seconds, peak = _measure(lambda method=method: _sklift_scores(
                train, test, features, args.threads, args.seed, method, rounds))
            rows[f"sklift TwoModels {method}"] = (scores, seconds, peak)
    group = uplift.GroupAverageUplift().fit(train).predict(test)
    rows["layer x type average"] = ({v: group[f"uplift_{v}"].to_numpy() for v in variants},
                                    float("nan"), float("nan"))
    rows["random"] = ({v: uplift.random_scores(len(test), args.seed + i)
                       for i, v in enumerate(variants)}, float("nan"), float("nan"))

    print(f"{args.rows:,} training and {args.rows:,} held-out assignments, {len(variants)} "
          f"variants + control, {len(features)} features, threads {args.threads}, seed "
          f"{args.seed}; sklift XGBoost rounds {rounds}")
    print("| model | Qini (mean) | " + " | ".join(f"Qini {v}" for v in variants)
          + " | Qini vs planted (mean) | train s | peak traced MB |")
    print("|---|---:|" + "---:|" * len(variants) + "---:|---:|---:|")
    summary = {}
    for name, (scores, seconds, peak) in rows.items():
        observed = _qini(test, scores, planted=False)
        planted = _qini(test, scores, planted=True)
        summary[name] = (np.mean(list(observed.values())), seconds, peak)
        print(f"| {name} | {summary[name][0]:.5f} | "
              + " | ".join(f"{observed[v]:.5f}" for v in variants)
              + f" | {np.mean(list(planted.values())):.5f} | {seconds:.1f} | {peak:,.0f} |")
    ours = summary["ours X-learner"]
    for name in ("sklift TwoModels vanilla", "sklift TwoModels ddr_control"):
        if name in summary:
            theirs = summary[name]
            print(f"ours X / {name}: Qini x{ours[0] / theirs[0]:.2f}, time "
                  f"x{ours[1] / theirs[1]:.2f}, peak memory x{ours[2] / theirs[2]:.2f}")


if __name__ == "__main__":
    main()
