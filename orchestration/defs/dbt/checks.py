"""Warning checks (GX suites) on the marts users act on: the label rate of customer_snapshots,
and the size and arm balance of recall_segments. They warn; they never block downstream."""

import dagster as dg

from orchestration.defs.resources import DUCKDB_POOL, PlatformResource
from orchestration.lib.gx_checks import to_check_result

MARTS_SCHEMA = "marts"


def _bounds(platform: PlatformResource):
    from expectations.marts import MartBounds

    s = platform.settings
    return MartBounds(label_rate_min=s.label_rate_min, label_rate_max=s.label_rate_max,
                      min_segment_size=s.min_segment_size, holdout_share=s.holdout_share,
                      arm_balance_tolerance=s.arm_balance_tolerance)


def _validate(platform: PlatformResource, table: str, suite, check_name: str):
    from expectations.runner import validate_table

    with platform.connect(read_only=True) as con:
        result = validate_table(con, MARTS_SCHEMA, table, suite=suite)
    return to_check_result(result, asset_key=dg.AssetKey(table), check_name=check_name,
                           blocking=False)


@dg.asset_check(asset=dg.AssetKey("customer_snapshots"), name="label_rate", pool=DUCKDB_POOL,
                description="Keys unique, label 0/1, label rate between label_rate_min and "
                            "label_rate_max (settings)")
def customer_snapshots_label_rate(platform: PlatformResource) -> dg.AssetCheckResult:
    from expectations.marts import customer_snapshots_suite

    return _validate(platform, "customer_snapshots", customer_snapshots_suite(_bounds(platform)),
                     "label_rate")


@dg.asset_check(asset=dg.AssetKey("recall_segments"), name="segment_suite", pool=DUCKDB_POOL,
                description="Arms and layers valid, at least min_segment_size customers, each "
                            "layer's control share within arm_balance_tolerance of holdout_share")
def recall_segments_suite(platform: PlatformResource) -> dg.AssetCheckResult:
    from expectations.marts import recall_segments_suite as suite

    return _validate(platform, "recall_segments", suite(bounds=_bounds(platform)),
                     "segment_suite")
