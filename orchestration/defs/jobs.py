"""Jobs the schedules and sensors launch: the daily refresh and the monthly retraining."""

import dagster as dg

daily_refresh = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.groups("raw", "dbt", "recall")
    | dg.AssetSelection.assets("churn_scores"),
    description="Load new raw files, rebuild the marts, re-score every customer with the "
                "champion and refresh the recall segments and effect tables.",
    tags={"churn/job": "daily_refresh"},
)

monthly_retraining = dg.define_asset_job(
    "monthly_retraining",
    selection=dg.AssetSelection.assets("churn_model", "churn_scores"),
    description="Train a challenger on the latest snapshots; it replaces the champion only "
                "when it is better on the same validation snapshot; then re-score.",
    tags={"churn/job": "monthly_retraining"},
)
