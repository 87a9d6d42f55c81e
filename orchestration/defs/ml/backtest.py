"""The champion back-tested on each labelled monthly snapshot (partitioned by snapshot date):
AUC, PR AUC, Brier and calibration month by month, in `ml.champion_backtest`."""

import dagster as dg

from orchestration.defs.ml.assets import SNAPSHOTS, churn_model
from orchestration.defs.partitions import SNAPSHOT_DATES
from orchestration.defs.resources import DUCKDB_POOL, OWNER, PlatformResource
from sources.warehouse import replace_partition


@dg.asset(deps=[churn_model, "customer_snapshots"], group_name="ml",
          partitions_def=SNAPSHOT_DATES, kinds={"xgboost", "duckdb"}, owners=[OWNER],
          pool=DUCKDB_POOL)
def champion_backtest(context: dg.AssetExecutionContext, platform: PlatformResource):
    """Score one labelled snapshot with `models:/churn_xgboost@champion` and record how well it
    ranks and is calibrated there (rows of months the model trained on are in-sample)."""
    from ml.backtest import backtest_snapshot

    snapshot_date = context.partition_key
    env = platform.env.prepare()
    with platform.connect(read_only=True) as con:
        rows = con.execute(f"select * from {SNAPSHOTS} where snapshot_date = ?",
                           [snapshot_date]).df()
    if rows.empty:
        raise dg.Failure(f"no rows in {SNAPSHOTS} for snapshot_date {snapshot_date}")
    try:
        result = backtest_snapshot(rows, tracking_uri=env.mlflow_uri,
                                   business_cutoff=platform.settings.business_cutoff)
    except ValueError as exc:
        raise dg.Failure(str(exc)) from None
    with platform.connect() as con:
        replace_partition(con, "ml", "champion_backtest", result, "snapshot_date",
                          result["snapshot_date"].iloc[0])
    row = result.iloc[0]
    return dg.MaterializeResult(metadata={
        "model_version": str(row["model_version"]),
        "labelled_rows": int(row["labelled_rows"]),
        **{f"metric/{k}": float(row[k]) for k in ("auc", "pr_auc", "brier", "ece", "label_rate",
                                                   "mean_probability", "top_decile_lift")},
    })
