"""The churn champion against the recency rule and a BG/NBD baseline, on the same customers.

    uv run python benchmarks/baselines.py [--home CHURN_HOME]

Run after `churn-recall materialize` (e.g. on the Complete Journey data). Takes the newest
labelled snapshot of `marts.customer_snapshots` (the champion's validation snapshot: a time
split, trained only on older snapshots), scores it with `churn_xgboost@champion`, ranks by days
since the last interaction (recency rule), and fits BG/NBD (ml.clv) on the paid orders before
the snapshot, scoring each customer's probability of no purchase in the label window. Prints
the ROC AUC and PR AUC of each on the same rows and labels.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=os.environ.get("CHURN_HOME", ".churn"))
    args = parser.parse_args()
    os.environ["CHURN_HOME"] = str(Path(args.home).resolve())

    import pandas as pd
    from sklearn.metrics import average_precision_score, roc_auc_score

    from ml import clv
    from ml.scoring import score
    from orchestration.environment import current
    from orchestration.settings import load_settings
    from sources import warehouse

    env = current()
    settings = load_settings(env.home, {})
    with warehouse.connect(env.warehouse, read_only=True) as con:
        snapshot = con.execute(
            "select max(snapshot_date) from marts.customer_snapshots "
            "where is_churned_label is not null").fetchone()[0]
        rows = con.execute("select * from marts.customer_snapshots where snapshot_date = ? "
                           "and is_churned_label is not null", [snapshot]).df()
        orders = con.execute(
            "select customer_id, ordered_at, gmv from staging.stg_orders "
            "where order_status = 'paid' and ordered_at < ?", [snapshot]).df()
    y = rows["is_churned_label"].to_numpy(dtype=int)
    model = score(rows, tracking_uri=env.mlflow_uri)["churn_probability"].to_numpy()
    recency = rows["days_since_last_interaction"].to_numpy(dtype=float)

    summary = clv.rfm_summary(orders["customer_id"], pd.to_datetime(orders["ordered_at"]),
                              orders["gmv"].astype(float),
                              observation_end=pd.Timestamp(snapshot))
    params = clv.fit_bgnbd(summary)
    window_units = settings.churn_window_days / 7.0
    p_none = pd.Series(clv.prob_no_purchase(params, summary, window_units), index=summary.index)
    bgnbd = rows["customer_id"].map(p_none).to_numpy(dtype=float)
    known = ~np.isnan(bgnbd)  # customers with no paid order before the snapshot have no history
    print(f"snapshot {snapshot}: {len(rows):,} active customers, churn label rate "
          f"{y.mean():.1%}, window {settings.churn_window_days} days; BG/NBD fitted on "
          f"{len(summary):,} customers (r={params.r:.3f}, alpha={params.alpha:.3f}, "
          f"a={params.a:.3f}, b={params.b:.3f}), {known.sum():,} of the rows scored")
    print("| score | ROC AUC | PR AUC | rows |")
    print("|---|---|---|---|")
    for name, s in (("XGBoost champion", model), ("recency rule", recency),
                    ("BG/NBD P(no purchase in window)", bgnbd)):
        print(f"| {name} | {roc_auc_score(y[known], s[known]):.3f} | "
              f"{average_precision_score(y[known], s[known]):.3f} | {known.sum():,} |")


if __name__ == "__main__":
    main()
