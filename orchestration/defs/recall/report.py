"""The marketing report (group `recall`): offline HTML pages under CHURN_HOME/reports."""

import dagster as dg

from orchestration.defs.resources import DUCKDB_POOL, OWNER, PlatformResource

REPORT_MARTS = ["recall_report_headlines", "recall_dashboard", "recall_wave_winners",
                "recall_effect_variants", "recall_effect_by_layer", "recall_effect_by_segment",
                "recall_effect_six_months", "recall_feedback", "recall_churn_type_rates",
                "churn_rates", "cohort_retention", "recall_segments", "recall_early_warning"]


@dg.asset(deps=REPORT_MARTS, group_name="recall", kinds={"duckdb", "html"}, owners=[OWNER],
          pool=DUCKDB_POOL)
def recall_report(context: dg.AssetExecutionContext, platform: PlatformResource):
    """Overview, one page per campaign and the early-warning list, as offline HTML."""
    from orchestration.report import build_report, reports_dir

    env, settings = platform.env.prepare(), platform.settings
    with platform.connect(read_only=True) as con:
        result = build_report(con, reports_dir(env.home), exports_dir=env.exports,
                              budget=settings.recall_budget)
    context.log.info(f"report written to {result.index}")
    return dg.MaterializeResult(metadata={
        "report": dg.MetadataValue.url(result.index.as_uri()),
        "report_path": dg.MetadataValue.path(str(result.index)),
        "pages": len(result.pages),
        "campaigns": dg.MetadataValue.json(result.campaigns),
        "early_warning_customers": result.early_warning_rows,
        "bytes": result.total_bytes,
    })
