"""Suites for the raw tables, built from the contract (no second list of columns or values)."""

from __future__ import annotations

from expectations.spec import (
    BETWEEN,
    COLUMN_UNIQUE,
    COLUMNS_MATCH_ORDERED_LIST,
    COMPOUND_UNIQUE,
    IN_SET,
    NOT_NULL,
    REFERENCES,
    ROW_COUNT_BETWEEN,
    ExpectationSpec,
    SuiteSpec,
)
from sources.contract import RAW_SCHEMA, TABLES, Table

# Columns that hold a probability or share: kept in [0, 1] even if the contract gave no bounds.
PROBABILITY_SUFFIXES = ("_probability", "_share", "_rate")


def raw_suite(table: Table, schema: str = RAW_SCHEMA) -> SuiteSpec:
    """`raw.<table>`: columns in order, key unique and not null, non-null columns, allowed
    values, contract min/max, probabilities in [0, 1], references, and at least one row for
    required tables."""
    ex: list[ExpectationSpec] = [
        ExpectationSpec(COLUMNS_MATCH_ORDERED_LIST, {"column_list": table.column_names})]
    if table.required:
        ex.append(ExpectationSpec(ROW_COUNT_BETWEEN, {"min_value": 1, "max_value": None}))
    if len(table.key) == 1:
        ex.append(ExpectationSpec(COLUMN_UNIQUE, {"column": table.key[0]}))
    else:
        ex.append(ExpectationSpec(COMPOUND_UNIQUE, {"column_list": list(table.key)}))
    for col in table.columns:
        if not col.nullable or col.name in table.key:
            ex.append(ExpectationSpec(NOT_NULL, {"column": col.name}))
        if col.allowed:
            ex.append(ExpectationSpec(IN_SET, {"column": col.name,
                                               "value_set": list(col.allowed)}))
        low, high = col.min_value, col.max_value
        if col.name.endswith(PROBABILITY_SUFFIXES):
            low = 0 if low is None else max(low, 0)
            high = 1 if high is None else min(high, 1)
        if low is not None or high is not None:
            ex.append(ExpectationSpec(BETWEEN, {"column": col.name, "min_value": low,
                                                "max_value": high}))
    for fk in table.references:
        ex.append(ExpectationSpec(REFERENCES, {"column": fk.column, "to_table": fk.table,
                                               "to_column": fk.to_column}))
    return SuiteSpec(f"{schema}.{table.name}", schema, table.name, tuple(ex))


def raw_suites(schema: str = RAW_SCHEMA) -> list[SuiteSpec]:
    return [raw_suite(t, schema) for t in TABLES]
