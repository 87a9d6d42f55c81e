"""Blocking checks (GX suites) on the marts that feed training and the CRM export.

- `customer_snapshots` / `label_rate`: keys unique, label 0/1, label rate within
  [label_rate_min, label_rate_max]. Labels outside that range mean the snapshots or the churn
  window are wrong, so a model trained on them would be too: it stops `churn_model` (and the
  scores and recall marts downstream) in the same run; `monthly_retraining` runs it first.
- `recall_segments` / `segment_suite`: arms and layers valid, at least min_segment_size
  customers, each layer's control share within arm_balance_tolerance of holdout_share (the
  planned wave's, for a wave of the campaign plan). An
  empty or unbalanced wave would export a wrong campaign or an unmeasurable one: it stops
  `crm_export` in the same run.

Both report ERROR severity on failure, which blocking needs; blocking acts within one run only.
"""

import dagster as dg

from orchestration.campaign_plan import planned_wave
from orchestration.defs.resources import DUCKDB_POOL, PlatformResource
from orchestration.lib.gx_checks import to_check_result

MARTS_SCHEMA = "marts"


def _bounds(platform: PlatformResource):
    from expectations.marts import MartBounds

    s = platform.settings
    wave = planned_wave(platform.env, s.campaign_id)
    return MartBounds(label_rate_min=s.label_rate_min, label_rate_max=s.label_rate_max,
                      min_segment_size=s.min_segment_size,
                      holdout_share=wave.holdout_share if wave else s.holdout_share,
                      arm_balance_tolerance=s.arm_balance_tolerance)


def _validate(platform: PlatformResource, table: str, suite, check_name: str,
              consequence: str) -> dg.AssetCheckResult:
    from expectations.runner import GxRunner

    with platform.connect(read_only=True) as con:
        result = GxRunner().validate_table(con, MARTS_SCHEMA, table, suite=suite)
    return to_check_result(result, asset_key=dg.AssetKey(table), check_name=check_name,
                           blocking=True, consequence=consequence)


@dg.asset_check(asset=dg.AssetKey("customer_snapshots"), name="label_rate", pool=DUCKDB_POOL,
                blocking=True,
                description="Blocks churn_model: keys unique, label 0/1, label rate between "
                            "label_rate_min and label_rate_max (settings)")
def customer_snapshots_label_rate(platform: PlatformResource) -> dg.AssetCheckResult:
    from expectations.marts import customer_snapshots_suite

    return _validate(platform, "customer_snapshots", customer_snapshots_suite(_bounds(platform)),
                     "label_rate",
                     "churn_model is not trained on these labels: check the snapshots, fit the "
                     "churn window to the shop (`churn-recall suggest`) or the bounds "
                     "(label_rate_min, label_rate_max)")


@dg.asset_check(asset=dg.AssetKey("recall_segments"), name="segment_suite", pool=DUCKDB_POOL,
                blocking=True,
                description="Blocks crm_export: arms and layers valid, at least "
                            "min_segment_size customers, each layer's control share within "
                            "arm_balance_tolerance of holdout_share")
def recall_segments_suite(platform: PlatformResource) -> dg.AssetCheckResult:
    from expectations.marts import recall_segments_suite as suite

    return _validate(platform, "recall_segments", suite(bounds=_bounds(platform)),
                     "segment_suite",
                     "crm_export does not export this wave: check the segments, or "
                     "min_segment_size and arm_balance_tolerance (settings)")
