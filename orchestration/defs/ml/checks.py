"""Warning checks on the scores: probabilities in [0, 1], deciles 1..10 (GX suite)."""

import dagster as dg

from orchestration.defs.ml.assets import churn_scores
from orchestration.defs.resources import DUCKDB_POOL, PlatformResource
from orchestration.lib.gx_checks import to_check_result


@dg.asset_check(asset=churn_scores, name="scores_suite", pool=DUCKDB_POOL)
def churn_scores_suite(platform: PlatformResource) -> dg.AssetCheckResult:
    """GX suite on ml.churn_scores."""
    from expectations.runner import validate_table

    with platform.connect(read_only=True) as con:
        result = validate_table(con, "ml", "churn_scores")
    return to_check_result(result, asset_key=churn_scores.key, check_name="scores_suite",
                           blocking=False)
