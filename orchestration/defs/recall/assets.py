"""The CRM export of a recall wave (group `exports`): one file per campaign, control customers
marked do-not-contact, and the wave registered in raw.recall_campaigns / raw.recall_assignments."""


import dagster as dg

from orchestration.defs.resources import DUCKDB_POOL, OWNER, PlatformResource
from orchestration.lib.crm_export import export_wave


@dg.asset(deps=["recall_segments"], group_name="exports", kinds={"duckdb", "parquet", "csv"},
          owners=[OWNER], pool=DUCKDB_POOL)
def crm_export(context: dg.AssetExecutionContext, platform: PlatformResource):
    """CSV and Parquet file of the wave in `recall_segments` for the CRM; registers the wave."""
    env = platform.env.prepare()
    with platform.connect() as con:
        result = export_wave(con, platform.settings, env.exports)
    context.log.info(f"exported {result.rows} customers to {result.csv_path}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": result.rows,
        "campaign_id": result.campaign_id,
        "treatment": result.treatment, "control": result.control,
        "csv": dg.MetadataValue.path(str(result.csv_path)),
        "parquet": dg.MetadataValue.path(str(result.parquet_path)),
        "registered": result.registered,
    })
