"""Contract suites (Great Expectations) on every raw table: blocking, so a bad load never
reaches the marts, the model or a segment."""

import dagster as dg

from orchestration.defs.resources import DUCKDB_POOL, PlatformResource
from orchestration.lib.gx_checks import to_check_result
from sources.contract import RAW_SCHEMA, TABLES

CHECK_NAME = "contract_suite"


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(CHECK_NAME, asset=dg.AssetKey([RAW_SCHEMA, t.name]), blocking=True,
                             description=f"GX suite built from the contract for raw.{t.name}")
           for t in TABLES],
    pool=DUCKDB_POOL,
)
def raw_contract_checks(context: dg.AssetCheckExecutionContext, platform: PlatformResource):
    """Validate each raw table in chunks against its contract suite."""
    from expectations.runner import build_data_docs, validate_table

    results = []
    with platform.connect(read_only=True) as con:
        for t in TABLES:
            results.append(validate_table(con, RAW_SCHEMA, t.name))
    docs = build_data_docs(platform.env.home / "data_docs", results)
    for t, result in zip(TABLES, results):
        yield to_check_result(result, asset_key=dg.AssetKey([RAW_SCHEMA, t.name]),
                              check_name=CHECK_NAME, blocking=True, docs_path=docs)
