"""Effect report per recall campaign (partitioned by campaign): first-month uplift per pyramid
layer with its interval, the six-month GMV curves, ROI; backfill all campaigns from the UI."""

import dagster as dg

from orchestration.defs.partitions import CAMPAIGNS
from orchestration.defs.resources import DUCKDB_POOL, OWNER, PlatformResource
from orchestration.lib.metadata import embedded_png, markdown_table

LAYER_COLUMNS = ("layer", "targeted_count", "control_count", "conversion_rate",
                 "conversion_uplift", "conversion_uplift_lower", "conversion_uplift_upper",
                 "incremental_gmv", "cost", "roi", "is_window_complete", "estimate_type")


@dg.asset(deps=["recall_effect_by_layer", "recall_effect_six_months"], group_name="recall",
          partitions_def=CAMPAIGNS, kinds={"duckdb", "python"}, owners=[OWNER],
          pool=DUCKDB_POOL)
def campaign_effects(context: dg.AssetExecutionContext, platform: PlatformResource):
    """One campaign's effect: uplift over holdout per layer (first month), incremental GMV and
    ROI, and treatment vs control GMV per customer over the following six months."""
    from ml.recall_plots import six_month_plot

    campaign = context.partition_key
    env = platform.env.prepare()
    with platform.connect(read_only=True) as con:
        layers = con.execute(
            f"select {', '.join(LAYER_COLUMNS)} from marts.recall_effect_by_layer "
            "where campaign_id = ? and arm = 'treatment' order by layer", [campaign]).df()
        six = con.execute("select * from marts.recall_effect_six_months where campaign_id = ?",
                          [campaign]).df()
    if layers.empty:
        raise dg.Failure(f"campaign {campaign!r} has no rows in marts.recall_effect_by_layer; "
                         "export the wave and rebuild the recall marts first")
    complete = six[six["window_complete"]] if not six.empty else six
    metadata = {
        "campaign_id": campaign,
        "effect_by_layer": markdown_table(layers),
        "targeted": int(layers["targeted_count"].sum()),
        "incremental_gmv_first_month": float(layers["incremental_gmv"].fillna(0).sum()),
        "six_month_months_complete": int(complete["month_number"].nunique()) if len(complete) else 0,
    }
    if not six.empty:
        path = six_month_plot(six, campaign, env.plots / f"campaign_{campaign}_six_months.png")
        metadata["plot/six_months"] = embedded_png(path)
    return dg.MaterializeResult(metadata=metadata)
