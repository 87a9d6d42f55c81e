"""The churn and return models (trained, evaluated and promoted in MLflow) and the scores they
write back: active customers get a churn probability, lapsed ones a chance of returning."""


import dagster as dg

from ml.training_rows import LAPSED_SNAPSHOTS, SNAPSHOTS
from orchestration.defs.resources import DUCKDB_POOL, OWNER, PlatformResource
from orchestration.lib.metadata import embedded_png, markdown_table, rule_based_fallback
from sources.warehouse import replace_table, table_exists


def _mlflow_link(platform: PlatformResource, run_id: str, experiment_id: str | None) -> str:
    """The run's page in the MLflow UI at `CHURN_MLFLOW_UI_URL` (the environment decides)."""
    return f"{platform.env.mlflow_ui_url}/#/experiments/{experiment_id or 0}/runs/{run_id}"


def _train(context: dg.AssetExecutionContext, platform: PlatformResource, *, table: str,
           model_name: str) -> dg.MaterializeResult:
    from ml.pipeline import train_and_track
    from ml.training_rows import load_training_rows

    s, env = platform.settings, platform.env.prepare()
    with platform.connect(read_only=True) as con:
        rows = load_training_rows(con, training_snapshots=s.training_snapshots,
                                  max_rows=s.max_training_rows, table=table)
    snapshots = rows.frame
    context.log.info(f"training rows: {len(snapshots):,} of snapshots {', '.join(rows.snapshot_dates)}"
                     f" ({rows.customer_share:.1%} of customers)")
    result = train_and_track(snapshots, tracking_uri=env.mlflow_uri,
                             artifact_root=env.artifact_root, threads=s.xgb_threads,
                             max_rounds=s.xgb_max_rounds, business_cutoff=s.business_cutoff,
                             drift_threshold=s.drift_psi_threshold, model_name=model_name,
                             dataset_name=table.split(".")[-1])
    context.log.info(f"model version {result.model_version} -> {result.alias}: {result.reason}")
    dropped = result.lineage.get("dropped_features", [])
    if dropped:
        context.log.warning(f"{len(dropped)} empty or constant feature(s) left out of the model: "
                            f"{', '.join(dropped)}")
    metadata = {f"metric/{k}": float(v) for k, v in result.metrics.items()}
    metadata.update({
        "mlflow_run_id": result.run_id,
        "registered_model": model_name,
        "model_version": dg.MetadataValue.text(str(result.model_version)),
        "alias": result.alias, "promoted": result.promoted, "reason": result.reason,
        "training_rows": int(result.lineage.get("train_rows", len(snapshots))),
        "customer_share": rows.customer_share,
        "labelled_rows_available": rows.labelled_rows_available,
        "labelled_snapshot_dates": dg.MetadataValue.json(
            [*result.lineage["train_snapshot_dates"], result.lineage["validation_snapshot_date"]]),
        "dropped_features": dg.MetadataValue.json(list(dropped)),
        "mlflow_run": dg.MetadataValue.url(
            _mlflow_link(platform, result.run_id, result.lineage.get("experiment_id"))),
    })
    for name, path in (result.plot_paths or {}).items():
        metadata[f"plot/{name}"] = embedded_png(path)
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(deps=["customer_snapshots"], group_name="ml", kinds={"xgboost", "mlflow"},
          owners=[OWNER], pool=DUCKDB_POOL)
def churn_model(context: dg.AssetExecutionContext, platform: PlatformResource):
    """XGBoost churn model trained on older snapshots, validated on the newest labelled one,
    logged to MLflow and promoted to `champion` only when it beats the current champion."""
    from ml.registry import MODEL_NAME

    return _train(context, platform, table=SNAPSHOTS, model_name=MODEL_NAME)


@dg.asset(deps=["lapsed_customer_snapshots"], group_name="ml", kinds={"xgboost", "mlflow"},
          owners=[OWNER], pool=DUCKDB_POOL)
def return_model(context: dg.AssetExecutionContext, platform: PlatformResource):
    """XGBoost model of whether customers already lapsed at a snapshot come back on their own
    within the window (`return_xgboost`), trained and promoted like the churn model; skipped
    with a reason when the lapsed history cannot train one (then the churn model scores them)."""
    from ml.registry import RETURN_MODEL_NAME

    try:
        return _train(context, platform, table=LAPSED_SNAPSHOTS, model_name=RETURN_MODEL_NAME)
    except ValueError as exc:
        context.log.warning(f"return model not trained: {exc}")
        return dg.MaterializeResult(metadata={"skipped": str(exc)})


@dg.asset(deps=[churn_model, return_model, "customer_snapshots", "lapsed_customer_snapshots"],
          group_name="ml", kinds={"xgboost", "duckdb"}, owners=[OWNER], pool=DUCKDB_POOL)
def churn_scores(context: dg.AssetExecutionContext, platform: PlatformResource):
    """Every customer of the newest snapshot, scored: active ones by `churn_xgboost@champion`
    (churn probability), lapsed ones by `return_xgboost@champion` (chance of returning), each
    with risk decile, top-3 reasons and leading cause, written to `ml.churn_scores`."""
    import pandas as pd
    from ml.registry import RETURN_CHAMPION_URI, RETURN_MODEL_NAME, has_champion
    from ml.scoring import ACTIVE, LAPSED, score

    env = platform.env.prepare()
    latest = {}
    with platform.connect(read_only=True) as con:
        for population, table in ((ACTIVE, SNAPSHOTS), (LAPSED, LAPSED_SNAPSHOTS)):
            latest[population] = con.execute(
                f"select * from {table} where snapshot_date = "
                f"(select max(snapshot_date) from {SNAPSHOTS})").df()
    parts = [score(latest[ACTIVE], tracking_uri=env.mlflow_uri, population=ACTIVE)]
    if len(latest[LAPSED]):
        if has_champion(RETURN_MODEL_NAME, tracking_uri=env.mlflow_uri):
            parts.append(score(latest[LAPSED], tracking_uri=env.mlflow_uri,
                               model_uri=RETURN_CHAMPION_URI, population=LAPSED))
        else:
            context.log.warning("no return_xgboost champion: lapsed customers are scored by "
                                "the churn model")
            parts.append(score(latest[LAPSED], tracking_uri=env.mlflow_uri, population=LAPSED))
    scores = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    with platform.connect() as con:
        rows = replace_table(con, "ml", "churn_scores", scores)
    counts = scores["population"].value_counts()
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows,
        "active_customers": int(counts.get(ACTIVE, 0)),
        "lapsed_customers": int(counts.get(LAPSED, 0)),
        "mean_probability": float(scores["churn_probability"].mean()) if rows else 0.0,
        "model_version": dg.MetadataValue.text(
            ", ".join(sorted(scores["model_version"].astype(str).unique())) if rows else ""),
        "snapshot_date": dg.MetadataValue.text(str(latest[ACTIVE]["snapshot_date"].max())),
    })


@dg.asset(deps=["recall_uplift_training_rows", "recall_uplift_campaigns"], group_name="ml",
          kinds={"xgboost", "mlflow"}, owners=[OWNER], pool=DUCKDB_POOL)
def recall_uplift(context: dg.AssetExecutionContext, platform: PlatformResource):
    """Per-variant recall uplift (X-learner over XGBoost) trained on every randomized past
    assignment, evaluated on a held-out campaign against the layer x churn type average and
    random (Qini, AUUC, uplift at the top 10/20/30%), registered as `recall_uplift` and
    promoted to `champion` when its mean Qini beats the champion's on the same rows. Without
    enough randomized history targeting keeps the rule-based ranking, and says so here."""
    from ml.uplift_tracking import NoRandomizedHistory, train_and_track_uplift

    s, env = platform.settings, platform.env.prepare()
    with platform.connect(read_only=True) as con:
        if not (table_exists(con, "marts", "recall_uplift_training_rows")
                and table_exists(con, "marts", "recall_uplift_campaigns")):
            return rule_based_fallback(
                context, "no uplift model: the recall marts (recall_uplift_training_rows) are "
                "not built yet. Targeting falls back to the rule-based ranking (layer x churn "
                "type averages).")
        rows = con.execute("select * from marts.recall_uplift_training_rows").df()
        campaigns = con.execute(
            "select campaign_id, design, assigned_count, control_count, "
            "training_assignment_count, coalesce(exclusion_reason, 'used') as status "
            "from marts.recall_uplift_campaigns order by campaign_id").df()
    context.log.info(f"uplift training rows: {len(rows):,} from "
                     f"{int((campaigns.status == 'used').sum())} of {len(campaigns)} campaigns")
    for row in campaigns[campaigns.status != "used"].itertuples():
        context.log.info(f"campaign {row.campaign_id} left out of training: {row.status}")
    metadata = {"campaigns": markdown_table(campaigns),
                "training_rows": len(rows)}
    try:
        result = train_and_track_uplift(rows, tracking_uri=env.mlflow_uri,
                                        artifact_root=env.artifact_root,
                                        min_rows_per_arm=s.uplift_min_rows_per_arm,
                                        threads=s.xgb_threads)
    except NoRandomizedHistory as exc:
        return rule_based_fallback(
            context, f"no uplift model: {exc}. Targeting falls back to the rule-based ranking "
            f"(layer x churn type averages).", metadata)
    context.log.info(f"uplift model version {result.model_version} -> {result.alias}: "
                     f"{result.reason}")
    if result.dropped_variants:
        context.log.warning(f"variants with too few rows left out: {result.dropped_variants}")
    metadata.update({f"metric/{k}": float(v) for k, v in result.metrics.items()})
    metadata.update({
        "targeting": "uplift model",
        "mlflow_run_id": result.run_id,
        "registered_model": "recall_uplift",
        "model_version": dg.MetadataValue.text(result.model_version),
        "alias": result.alias, "promoted": result.promoted, "reason": result.reason,
        "holdout": result.holdout,
        "variants": dg.MetadataValue.json(result.variants),
        "dropped_variants": dg.MetadataValue.json(result.dropped_variants),
        "evaluation": markdown_table(result.evaluation, digits=5),
        "mlflow_run": dg.MetadataValue.url(
            _mlflow_link(platform, result.run_id, result.experiment_id)),
    })
    for name, path in result.plot_paths.items():
        metadata[f"plot/{name}"] = embedded_png(path)
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(deps=["int_order_facts"], group_name="ml", kinds={"python", "duckdb"},
          owners=[OWNER], pool=DUCKDB_POOL)
def customer_lifetime_value(context: dg.AssetExecutionContext, platform: PlatformResource):
    """Expected GMV over the next 6 and 12 months if the customer is active (BG/NBD purchase
    counts and Gamma-Gamma spend, ml.lifetime_value), per customer with a paid order, written to
    `ml.customer_lifetime_value`; checked on the last 7 complete months against today's rule
    (pre-churn monthly GMV x 7) by mean absolute error."""
    import pandas as pd

    from ml.lifetime_value import DAYS_PER_MONTH, holdout_check, lifetime_values

    with platform.connect(read_only=True) as con:
        orders = con.execute("select customer_id, ordered_at, paid_gmv as gmv "
                             "from intermediate.int_order_facts where is_paid").df()
        as_of = con.execute("select as_of_date from intermediate.int_data_bounds").fetchone()[0]
    as_of = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    try:
        values = lifetime_values(orders, as_of).assign(as_of_date=as_of.date())
    except ValueError as exc:   # too few repeat buyers to fit, or an infinite mean spend
        message = (f"no lifetime values: {exc}. Targeting values customers by pre-churn "
                   "monthly GMV x 7.")
        context.log.warning(message)
        return dg.MaterializeResult(metadata={"skipped": message})
    metadata = {"customers": len(values),
                "mean_expected_gmv_6m_if_active": float(values.expected_gmv_6m_if_active.mean())}
    cutoff = as_of - pd.Timedelta(days=7 * DAYS_PER_MONTH + 1)
    try:
        check = holdout_check(orders, cutoff.normalize(), horizon_months=7)
        metadata.update({"holdout_cutoff": dg.MetadataValue.text(f"{cutoff:%Y-%m-%d}"),
                         "holdout_mae_model": check.mae_model, "holdout_mae_rule": check.mae_rule,
                         "holdout_mae_ratio": check.ratio,
                         "holdout_mae_model_if_active_buyers": check.mae_model_if_active,
                         "holdout_mae_rule_buyers": check.mae_rule_buyers})
        context.log.info(f"held-out 7 months from {cutoff:%Y-%m-%d}: MAE model "
                         f"{check.mae_model:,.1f} vs rule {check.mae_rule:,.1f}")
    except ValueError as exc:
        context.log.warning(f"lifetime value not checked on held-out months: {exc}")
        metadata["holdout_skipped"] = str(exc)
    with platform.connect() as con:
        metadata["dagster/row_count"] = replace_table(con, "ml", "customer_lifetime_value", values)
    return dg.MaterializeResult(metadata=metadata)
