"""Jobs the schedules and sensors launch: the daily refresh and the monthly retraining."""

import dagster as dg

from orchestration.defs.partitions import CAMPAIGNS, SNAPSHOT_DATES

# Partitioned assets run one partition per run: in their own jobs, never in the whole-graph ones.
PARTITIONED = dg.AssetSelection.assets("campaign_effects", "champion_backtest")

daily_refresh = dg.define_asset_job(
    "daily_refresh",
    selection=(dg.AssetSelection.groups("raw", "dbt", "recall")
               | dg.AssetSelection.assets("churn_scores")) - PARTITIONED,
    description="Load new raw files, rebuild the marts, re-score every customer with the "
                "champion and refresh the recall segments and effect tables.",
    tags={"churn/job": "daily_refresh"},
)

# Blocking checks gate only the assets of their own run: retraining runs the label-rate check
# on the current customer_snapshots first, so labels outside the bounds stop the challenger.
LABEL_RATE = dg.AssetCheckKey(dg.AssetKey("customer_snapshots"), "label_rate")

monthly_retraining = dg.define_asset_job(
    "monthly_retraining",
    selection=(dg.AssetSelection.assets("churn_model", "return_model", "churn_scores",
                                        "recall_uplift")
               | dg.AssetSelection.checks(LABEL_RATE)),
    description="Check the labels, train a challenger on the latest snapshots; it replaces the "
                "champion only when it is better on the same validation snapshot; then re-score. "
                "The recall uplift model retrains on the randomized campaigns with the same rule.",
    tags={"churn/job": "monthly_retraining"},
)

campaign_effects_job = dg.define_asset_job(
    "campaign_effects_job", selection=dg.AssetSelection.assets("campaign_effects"),
    partitions_def=CAMPAIGNS,
    description="The effect report of one recall campaign (a partition per campaign).",
    tags={"churn/job": "campaign_effects"},
)

champion_backtest_job = dg.define_asset_job(
    "champion_backtest_job", selection=dg.AssetSelection.assets("champion_backtest"),
    partitions_def=SNAPSHOT_DATES,
    description="The champion back-tested on one labelled monthly snapshot.",
    tags={"churn/job": "champion_backtest"},
)
