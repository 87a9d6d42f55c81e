"""The CRM export of a recall wave (group `exports`): one file per campaign, control customers
marked do-not-contact, and the wave registered in raw.recall_campaigns / raw.recall_assignments."""


import dagster as dg

from orchestration.defs.resources import DUCKDB_POOL, OWNER, PlatformResource
from orchestration.lib.metadata import embedded_png
from orchestration.campaign_plan import pilot_winner, planned_wave
from sources.crm_export import WaveDates, export_wave


@dg.asset(deps=["recall_segments"], group_name="exports", kinds={"duckdb", "parquet", "csv"},
          owners=[OWNER], pool=DUCKDB_POOL)
def crm_export(context: dg.AssetExecutionContext, platform: PlatformResource):
    """CSV and Parquet file of the wave in `recall_segments` for the CRM; registers the wave."""
    env, s = platform.env.prepare(), platform.settings
    wave = planned_wave(env, s.campaign_id)
    budget, holdout, dates = s.recall_budget, s.holdout_share, WaveDates()
    if wave is not None:
        budget, holdout = wave.budget, wave.holdout_share
        dates = WaveDates(starts_on=wave.starts_on, days=wave.days)
    with platform.connect() as con:
        if wave is not None and wave.rollout_of:
            _require_pilot_winner(con, wave)
        result = export_wave(con, env.exports, campaign_id=s.campaign_id, budget=budget,
                             holdout_share=holdout, dates=dates)
    context.log.info(f"exported {result.rows} customers to {result.csv_path}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": result.rows,
        "campaign_id": result.campaign_id,
        "treatment": result.treatment, "control": result.control,
        "csv": dg.MetadataValue.path(str(result.csv_path)),
        "parquet": dg.MetadataValue.path(str(result.parquet_path)),
        "registered": result.registered,
        "planned": wave is not None,
    })


def _require_pilot_winner(con, wave) -> None:
    """A rollout sends its pilot's winner: refuse clearly while there is none."""
    winner, blocker = pilot_winner(con, wave.rollout_of)
    if winner is None:
        raise ValueError(f"rollout {wave.campaign_id}: {blocker}; when the pilot cannot pick "
                         "one, drop the rollout's rollout_of in plan.yml and give it variants of "
                         "its own")


@dg.asset(deps=["recall_effect_six_months", "recall_dashboard"], group_name="recall",
          kinds={"duckdb", "python"}, owners=[OWNER], pool=DUCKDB_POOL)
def recall_effect_plots(platform: PlatformResource):
    """Treatment vs control over the six months per layer, ROI by channel, the wave funnel."""
    from ml.recall_plots import funnel_plot, roi_by_channel_plot, six_month_plot

    env = platform.env.prepare()
    with platform.connect(read_only=True) as con:
        six = con.execute("select * from marts.recall_effect_six_months").df()
        dashboard = con.execute("select * from marts.recall_dashboard").df()
    paths = {
        "roi_by_channel": roi_by_channel_plot(dashboard, env.plots / "recall_roi_by_channel.png"),
        "funnel": funnel_plot(dashboard, env.plots / "recall_funnel.png"),
    }
    latest = _longest_tracked_campaign(six)
    if latest is not None:
        paths["six_months"] = six_month_plot(six, latest, env.plots / "recall_six_months.png")
    return dg.MaterializeResult(metadata={
        f"plot/{name}": embedded_png(path) for name, path in paths.items()
    } | {"six_months_campaign": str(latest or "none: no recall campaign tracked yet"),
         "campaign_ids": dg.MetadataValue.json(sorted(dashboard["campaign_id"].unique()))})


def _longest_tracked_campaign(six):
    """The campaign with the most completed months of uplift (any month when none is
    complete); None for a shop with no recall campaign yet."""
    complete = six[six["window_complete"] & (six["estimate_type"] == "uplift")]
    tracked = complete if not complete.empty else six
    if tracked.empty:
        return None
    return tracked.groupby("campaign_id")["month_number"].nunique().idxmax()
