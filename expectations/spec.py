"""Suites as plain data: which expectations a table must meet, and where each is evaluated.

A suite is built without importing Great Expectations. Each expectation has a scope:
- "chunk": a GX expectation, validated chunk by chunk on DataFrames (row-wise rules: nulls,
  allowed sets, ranges), so results add up across chunks;
- "table": a rule that needs the whole table (schema, row count, key uniqueness, references),
  checked by the runner with DuckDB SQL and reported in the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHUNK = "chunk"
TABLE = "table"

# Table-scope types the runner evaluates in SQL (GX names where GX has the same rule).
COLUMNS_MATCH_ORDERED_LIST = "expect_table_columns_to_match_ordered_list"
COLUMN_TO_EXIST = "expect_column_to_exist"
ROW_COUNT_BETWEEN = "expect_table_row_count_to_be_between"
COLUMN_UNIQUE = "expect_column_values_to_be_unique"
COMPOUND_UNIQUE = "expect_compound_columns_to_be_unique"
REFERENCES = "expect_column_values_to_reference_table"  # ours: a foreign key, in SQL
MEAN_BETWEEN = "expect_column_mean_to_be_between"
# ours: in every group, the share of rows with `value` in `column` is `share` give or take
# max(1 row, tolerance x group size) -- e.g. the control arm of each pyramid layer.
SHARE_PER_GROUP = "expect_column_value_share_per_group_to_be_near"
# Chunk-scope types handed to GX.
NOT_NULL = "expect_column_values_to_not_be_null"
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"

TABLE_TYPES = frozenset({COLUMNS_MATCH_ORDERED_LIST, COLUMN_TO_EXIST, ROW_COUNT_BETWEEN,
                         COLUMN_UNIQUE, COMPOUND_UNIQUE, REFERENCES, MEAN_BETWEEN,
                         SHARE_PER_GROUP})


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation: its GX-style type name and keyword arguments."""

    type: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        return TABLE if self.type in TABLE_TYPES else CHUNK

    @property
    def column(self) -> str | None:
        if "column" in self.kwargs:
            return self.kwargs["column"]
        if "column_list" in self.kwargs and self.type == COMPOUND_UNIQUE:
            return ", ".join(self.kwargs["column_list"])
        return None


@dataclass(frozen=True)
class SuiteSpec:
    """A named suite for one table (`schema.table` by default)."""

    name: str
    schema: str
    table: str
    expectations: tuple[ExpectationSpec, ...]

    def of_scope(self, scope: str) -> list[tuple[int, ExpectationSpec]]:
        return [(i, e) for i, e in enumerate(self.expectations) if e.scope == scope]

    def types(self) -> list[str]:
        return [e.type for e in self.expectations]

    def find(self, type_: str, column: str | None = None) -> list[ExpectationSpec]:
        return [e for e in self.expectations
                if e.type == type_ and (column is None or e.column == column)]
