"""Every suite by name (`raw.<table>`, `ml.churn_scores`, `marts.recall_segments`)."""

from __future__ import annotations

from functools import cache

from expectations.marts import mart_suites
from expectations.raw import raw_suites
from expectations.spec import SuiteSpec


@cache
def all_suites() -> dict[str, SuiteSpec]:
    return {s.name: s for s in [*raw_suites(), *mart_suites()]}


def get_suite(name: str) -> SuiteSpec:
    try:
        return all_suites()[name]
    except KeyError:
        raise KeyError(f"unknown suite {name!r}; suites: {', '.join(all_suites())}") from None


def suite_for(schema: str, table: str) -> SuiteSpec:
    """The suite named `schema.table`, else the only suite for a table of that name."""
    suites = all_suites()
    if f"{schema}.{table}" in suites:
        return suites[f"{schema}.{table}"]
    by_table = [s for s in suites.values() if s.table == table]
    if len(by_table) == 1:
        return by_table[0]
    raise KeyError(f"no suite for {schema}.{table}; pass suite_name (suites: "
                   f"{', '.join(suites)})")
