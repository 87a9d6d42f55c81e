"""Render the dbt sources file for schema `raw` from the contract (no second column list)."""

from __future__ import annotations

from pathlib import Path

import yaml

from sources.contract import RAW_SCHEMA, TABLES

HEADER = "# Generated from sources/contract.py by `churn-recall contract`; do not edit by hand.\n"


def render() -> str:
    tables = []
    for t in TABLES:
        columns = []
        for c in t.columns:
            col: dict = {"name": c.name, "description": c.description,
                         "data_type": c.type.lower()}
            tests: list = []
            if not c.nullable:
                tests.append("not_null")
            if c.allowed:
                tests.append({"accepted_values": {"arguments": {"values": list(c.allowed)},
                                                  "config": {"severity": "warn"}}})
            if tests:
                col["data_tests"] = tests
            columns.append(col)
        entry: dict = {"name": t.name, "description": t.description, "columns": columns}
        if t.time_column:
            entry["loaded_at_field"] = t.time_column
            entry["config"] = {"freshness": {"warn_after": {"count": 45, "period": "day"}}}
        tables.append(entry)
    doc = {"version": 2, "sources": [{
        "name": RAW_SCHEMA, "schema": RAW_SCHEMA,
        "description": "Raw shop tables as defined by the contract in sources/contract.py.",
        "tables": tables,
    }]}
    return HEADER + yaml.safe_dump(doc, sort_keys=False, width=100)


def write(dbt_project_dir: Path) -> Path:
    path = dbt_project_dir / "models" / "staging" / "_raw__sources.yml"
    path.write_text(render())
    return path
