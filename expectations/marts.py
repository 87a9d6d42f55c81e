"""Suites for the key output tables: churn scores and recall segments."""

from __future__ import annotations

from expectations.spec import (
    BETWEEN,
    COLUMN_TO_EXIST,
    COLUMN_UNIQUE,
    COMPOUND_UNIQUE,
    IN_SET,
    NOT_NULL,
    ExpectationSpec,
    SuiteSpec,
)
from sources.contract import ARMS, LAYERS

RISK_DECILES = list(range(1, 11))


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
                          columns_in_sets: dict[str, tuple[str, ...]] | None = None
                          ) -> SuiteSpec:
    """Selected customers: arm is treatment or control, layer a pyramid layer; pass
    `columns_in_sets` to check other columns (e.g. channel) against their allowed values."""
    sets = {"arm": ARMS, "layer": LAYERS} if columns_in_sets is None else columns_in_sets
    ex = [ExpectationSpec(COLUMN_TO_EXIST, {"column": c}) for c in ("customer_id", *sets)]
    ex += _key(key)
    ex += [ExpectationSpec(NOT_NULL, {"column": "customer_id"}),
           ExpectationSpec(NOT_NULL, {"column": "arm"})]
    ex += [ExpectationSpec(IN_SET, {"column": c, "value_set": list(v)}) for c, v in sets.items()]
    return SuiteSpec(f"{schema}.{table}", schema, table, tuple(ex))


def mart_suites() -> list[SuiteSpec]:
    return [churn_scores_suite(), recall_segments_suite()]
