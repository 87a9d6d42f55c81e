"""Raw tables (group `raw`): files dropped in CHURN_HOME/inbox are validated and loaded; the
asset records what the warehouse holds for every contract table."""


import shutil
from datetime import datetime, timezone

import dagster as dg

from orchestration.defs.resources import DUCKDB_POOL, OWNER, PlatformResource
from sources.contract import QUARANTINE_SCHEMA, RAW_SCHEMA, TABLES, create_raw_schema
from sources.loading.files import FORMATS
from sources.warehouse import row_count


def raw_specs() -> list[dg.AssetSpec]:
    """One asset per contract table, keyed raw/<table> like the dbt sources."""
    return [
        dg.AssetSpec(key=[RAW_SCHEMA, t.name], description=t.description, group_name="raw",
                     kinds={"duckdb"}, owners=[OWNER],
                     metadata={"contract_key": ", ".join(t.key), "required": t.required})
        for t in TABLES
    ]


def inbox_files(platform: PlatformResource) -> list:
    inbox = platform.env.inbox
    if not inbox.exists():
        return []
    return sorted(p for p in inbox.iterdir() if p.suffix.lower() in FORMATS)


@dg.multi_asset(specs=raw_specs(), name="raw_tables", pool=DUCKDB_POOL)
def raw_tables(context: dg.AssetExecutionContext, platform: PlatformResource):
    """Load new files from the inbox (if any), with CHURN_HOME/mapping.yml when it exists, and
    report row counts of every raw table."""
    from sources.loader import default_mapping, load_directory

    files = inbox_files(platform)
    with platform.connect() as con:
        create_raw_schema(con)
        if files:
            report = load_directory(con, platform.env.inbox,
                                    mapping=default_mapping(platform.env.home))
            context.log.info(report.summary())
        counts = {t.name: row_count(con, RAW_SCHEMA, t.name) for t in TABLES}
        quarantined = {t.name: row_count(con, QUARANTINE_SCHEMA, t.name) for t in TABLES}
    if files:
        done = platform.env.inbox / "processed" / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        done.mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.move(str(f), done / f.name)
    for t in TABLES:
        yield dg.MaterializeResult(
            asset_key=[RAW_SCHEMA, t.name],
            metadata={"dagster/row_count": counts[t.name],
                      "quarantined_rows": quarantined[t.name],
                      "files_loaded": len(files)})
