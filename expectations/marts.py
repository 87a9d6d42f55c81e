"""Suites for the key output tables: churn scores and recall segments."""

from __future__ import annotations

from dataclasses import dataclass

from expectations.spec import (
    BETWEEN,
    COLUMN_TO_EXIST,
    COLUMN_UNIQUE,
    COMPOUND_UNIQUE,
    IN_SET,
    MEAN_BETWEEN,
    NOT_NULL,
    ROW_COUNT_BETWEEN,
    SHARE_PER_GROUP,
    ExpectationSpec,
    SuiteSpec,
)
from sources.contract import ARMS, LAYERS

RISK_DECILES = list(range(1, 11))
LABEL_COLUMN = "is_churned_label"


@dataclass(frozen=True)
class MartBounds:
    """Plausibility bounds for the marts (the platform's settings of the same names)."""

    label_rate_min: float
    label_rate_max: float
    min_segment_size: int
    holdout_share: float
    arm_balance_tolerance: float


def _key(key: tuple[str, ...] | None) -> list[ExpectationSpec]:
    if not key:
        return []
    if len(key) == 1:
        return [ExpectationSpec(COLUMN_UNIQUE, {"column": key[0]})]
    return [ExpectationSpec(COMPOUND_UNIQUE, {"column_list": list(key)})]


def churn_scores_suite(schema: str = "ml", table: str = "churn_scores",
                       key: tuple[str, ...] | None = ("customer_id",)) -> SuiteSpec:
    """One score per customer: probability in [0, 1], risk decile 1..10."""
    ex = [ExpectationSpec(COLUMN_TO_EXIST, {"column": c})
          for c in ("customer_id", "churn_probability", "risk_decile")]
    ex += _key(key)
    ex += [
        ExpectationSpec(NOT_NULL, {"column": "customer_id"}),
        ExpectationSpec(NOT_NULL, {"column": "churn_probability"}),
        ExpectationSpec(BETWEEN, {"column": "churn_probability", "min_value": 0,
                                  "max_value": 1}),
        ExpectationSpec(NOT_NULL, {"column": "risk_decile"}),
        ExpectationSpec(IN_SET, {"column": "risk_decile", "value_set": RISK_DECILES}),
    ]
    return SuiteSpec(f"{schema}.{table}", schema, table, tuple(ex))


def recall_segments_suite(schema: str = "marts", table: str = "recall_segments",
                          key: tuple[str, ...] | None = None,
                          columns_in_sets: dict[str, tuple[str, ...]] | None = None,
                          bounds: MartBounds | None = None) -> SuiteSpec:
    """Selected customers: arm is treatment or control, layer a pyramid layer; pass
    `columns_in_sets` to check other columns (e.g. channel) against their allowed values, and
    `bounds` for the segment size and the control share of every holdout stratum (layer x
    variant: the holdout is drawn within each)."""
    sets = {"arm": ARMS, "layer": LAYERS} if columns_in_sets is None else columns_in_sets
    ex = [ExpectationSpec(COLUMN_TO_EXIST, {"column": c}) for c in ("customer_id", *sets)]
    ex += _key(key)
    ex += [ExpectationSpec(NOT_NULL, {"column": "customer_id"}),
           ExpectationSpec(NOT_NULL, {"column": "arm"})]
    ex += [ExpectationSpec(IN_SET, {"column": c, "value_set": list(v)}) for c, v in sets.items()]
    if bounds is not None:
        ex += [ExpectationSpec(ROW_COUNT_BETWEEN, {"min_value": bounds.min_segment_size}),
               ExpectationSpec(SHARE_PER_GROUP, {
                   "column": "arm", "value": "control", "group_by": "holdout_stratum",
                   "share": bounds.holdout_share, "tolerance": bounds.arm_balance_tolerance})]
    return SuiteSpec(f"{schema}.{table}", schema, table, tuple(ex))


def customer_snapshots_suite(bounds: MartBounds, schema: str = "marts",
                             table: str = "customer_snapshots") -> SuiteSpec:
    """Snapshots: one row per customer and date, a label rate within the bounds."""
    ex = [ExpectationSpec(COLUMN_TO_EXIST, {"column": c})
          for c in ("customer_id", "snapshot_date", LABEL_COLUMN)]
    ex += _key(("customer_id", "snapshot_date"))
    ex += [ExpectationSpec(IN_SET, {"column": LABEL_COLUMN, "value_set": [0, 1]}),
           ExpectationSpec(MEAN_BETWEEN, {"column": LABEL_COLUMN,
                                          "min_value": bounds.label_rate_min,
                                          "max_value": bounds.label_rate_max})]
    return SuiteSpec(f"{schema}.{table}", schema, table, tuple(ex))


def mart_suites() -> list[SuiteSpec]:
    """The structural mart suites; the bound checks need `MartBounds` (see the functions)."""
    return [churn_scores_suite(), recall_segments_suite()]
