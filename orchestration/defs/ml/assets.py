"""The churn model (trained, evaluated and promoted in MLflow) and the scores it writes back."""


import dagster as dg

from orchestration.defs.resources import DUCKDB_POOL, OWNER, PlatformResource
from orchestration.lib.metadata import embedded_png
from orchestration.lib.training_data import SNAPSHOTS
from orchestration.lib.warehouse import replace_table


def _mlflow_link(platform: PlatformResource, run_id: str, experiment_id: str | None) -> str:
    return f"http://127.0.0.1:5000/#/experiments/{experiment_id or 0}/runs/{run_id}"


@dg.asset(deps=["customer_snapshots"], group_name="ml", kinds={"xgboost", "mlflow"},
          owners=[OWNER], pool=DUCKDB_POOL)
def churn_model(context: dg.AssetExecutionContext, platform: PlatformResource):
    """XGBoost churn model trained on older snapshots, validated on the newest labelled one,
    logged to MLflow and promoted to `champion` only when it beats the current champion."""
    from ml.pipeline import train_and_track

    from orchestration.lib.training_data import load_training_rows

    s, env = platform.settings, platform.env.prepare()
    with platform.connect(read_only=True) as con:
        rows = load_training_rows(con, training_snapshots=s.training_snapshots,
                                  max_rows=s.max_training_rows)
    snapshots = rows.frame
    context.log.info(f"training rows: {len(snapshots):,} of snapshots {', '.join(rows.snapshot_dates)}"
                     f" ({rows.customer_share:.1%} of customers)")
    result = train_and_track(snapshots, tracking_uri=env.mlflow_uri,
                             artifact_root=env.artifact_root, threads=s.xgb_threads,
                             max_rounds=s.xgb_max_rounds, business_cutoff=s.business_cutoff,
                             drift_threshold=s.drift_psi_threshold)
    context.log.info(f"model version {result.model_version} -> {result.alias}: {result.reason}")
    metadata = {f"metric/{k}": float(v) for k, v in result.metrics.items()}
    metadata.update({
        "mlflow_run_id": result.run_id,
        "model_version": dg.MetadataValue.text(str(result.model_version)),
        "alias": result.alias, "promoted": result.promoted, "reason": result.reason,
        "training_rows": int(result.lineage.get("train_rows", len(snapshots))),
        "customer_share": rows.customer_share,
        "labelled_rows_available": rows.labelled_rows_available,
        "labelled_snapshot_dates": dg.MetadataValue.json(
            [*result.lineage["train_snapshot_dates"], result.lineage["validation_snapshot_date"]]),
        "mlflow_run": dg.MetadataValue.url(
            _mlflow_link(platform, result.run_id, result.lineage.get("experiment_id"))),
    })
    for name, path in (result.plot_paths or {}).items():
        metadata[f"plot/{name}"] = embedded_png(path)
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(deps=[churn_model, "customer_snapshots"], group_name="ml",
          kinds={"xgboost", "duckdb"}, owners=[OWNER], pool=DUCKDB_POOL)
def churn_scores(context: dg.AssetExecutionContext, platform: PlatformResource):
    """Churn probability, risk decile and top-3 reasons for every customer in the newest
    snapshot, scored by `models:/churn_xgboost@champion` and written to `ml.churn_scores`."""
    from ml.scoring import score

    env = platform.env.prepare()
    with platform.connect(read_only=True) as con:
        latest = con.execute(f"select * from {SNAPSHOTS} where snapshot_date = "
                             f"(select max(snapshot_date) from {SNAPSHOTS})").df()
    scores = score(latest, tracking_uri=env.mlflow_uri)
    with platform.connect() as con:
        rows = replace_table(con, "ml", "churn_scores", scores)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows,
        "mean_probability": float(scores["churn_probability"].mean()) if rows else 0.0,
        "model_version": dg.MetadataValue.text(str(scores["model_version"].iloc[0]) if rows else ""),
        "snapshot_date": dg.MetadataValue.text(str(latest["snapshot_date"].max())),
    })
