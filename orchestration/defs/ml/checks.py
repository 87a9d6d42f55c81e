"""Blocking check on the scores: one per customer, probabilities in [0, 1], deciles 1..10 (GX
suite). Scores that break it would put the wrong customers into the recall marts, so a failure
(ERROR severity) stops the recall marts and the export downstream of `churn_scores` in the
same run."""

import dagster as dg

from orchestration.defs.ml.assets import churn_scores
from orchestration.defs.resources import DUCKDB_POOL, PlatformResource
from orchestration.lib.gx_checks import to_check_result


@dg.asset_check(asset=churn_scores, name="scores_suite", pool=DUCKDB_POOL, blocking=True)
def churn_scores_suite(platform: PlatformResource) -> dg.AssetCheckResult:
    """GX suite on ml.churn_scores; blocks the recall marts."""
    from expectations.runner import GxRunner

    with platform.connect(read_only=True) as con:
        result = GxRunner().validate_table(con, "ml", "churn_scores")
    return to_check_result(result, asset_key=churn_scores.key, check_name="scores_suite",
                           blocking=True,
                           consequence="the recall marts are not built from these scores")
