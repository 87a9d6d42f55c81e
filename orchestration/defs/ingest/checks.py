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
    from expectations.runner import GxRunner

    runner = GxRunner()  # one GX context for every raw table of this check run
    with platform.connect(read_only=True) as con:
        results = [runner.validate_table(con, RAW_SCHEMA, t.name) for t in TABLES]
    docs = runner.build_data_docs(platform.env.home / "data_docs", results)
    for t, result in zip(TABLES, results):
        yield to_check_result(result, asset_key=dg.AssetKey([RAW_SCHEMA, t.name]),
                              check_name=CHECK_NAME, blocking=True, docs_path=docs)


RECONCILIATION = "reconciliation"


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(RECONCILIATION, asset=dg.AssetKey([RAW_SCHEMA, t.name]),
                             blocking=True,
                             description=f"raw.{t.name}: every file row the loader ever read is "
                                         "accepted, quarantined or skipped as already loaded")
           for t in TABLES],
    pool=DUCKDB_POOL,
)
def raw_reconciliation(context: dg.AssetCheckExecutionContext, platform: PlatformResource):
    """Input rows = accepted + quarantined + skipped for every recorded load, quarantine holds
    exactly the rejected rows, raw holds at least the accepted ones (sources.loading.reconcile).
    """
    from sources.loading.reconcile import reconcile

    with platform.connect(read_only=True) as con:
        outcome = reconcile(con)
    for t in TABLES:
        r = outcome[t.name]
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey([RAW_SCHEMA, t.name]), check_name=RECONCILIATION,
            passed=r.passed, severity=dg.AssetCheckSeverity.ERROR,
            description=r.describe()[:1000],
            metadata={**r.metadata(), "note": r.note,
                      "problems": dg.MetadataValue.json(r.problems[:20])})
