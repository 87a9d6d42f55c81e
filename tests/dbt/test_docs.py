"""`dbt docs generate` works on a built simulator warehouse, and the core models are documented:
every model and every column it really has (the catalog) carries a description, and no
documented column is missing from the table (stale docs). The recall models (models/*/recall/)
are documented and checked by their own owners' tests.
"""

from __future__ import annotations

import json

import pytest

from tests.dbt.conftest import run_dbt


@pytest.fixture(scope="module")
def docs(built_warehouse, dbt_work_dir):
    run_dbt(["docs", "generate"], built_warehouse, dbt_work_dir)
    target = dbt_work_dir / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    return manifest, catalog


def _core_models(manifest: dict) -> dict:
    return {uid: node for uid, node in manifest["nodes"].items()
            if node["resource_type"] == "model" and "/recall/" not in node["original_file_path"]}


def test_docs_generate_catalogs_every_built_core_model(docs):
    manifest, catalog = docs
    core = _core_models(manifest)
    assert len(core) >= 20
    missing = sorted(node["name"] for uid, node in core.items() if uid not in catalog["nodes"])
    assert not missing, f"core models missing from the docs catalog (not built?): {missing}"


def test_every_core_model_and_column_has_a_description(docs):
    manifest, catalog = docs
    problems = []
    for uid, node in sorted(_core_models(manifest).items()):
        name = node["name"]
        if not node.get("description", "").strip():
            problems.append(f"{name}: no model description")
        documented = {c.lower(): col for c, col in node.get("columns", {}).items()}
        actual = {c.lower() for c in catalog["nodes"].get(uid, {}).get("columns", {})}
        for column in sorted(actual):
            if not documented.get(column, {}).get("description", "").strip():
                problems.append(f"{name}.{column}: no column description")
        for column in sorted(set(documented) - actual):
            problems.append(f"{name}.{column}: documented but not in the table")
    assert not problems, "undocumented or stale docs:\n" + "\n".join(problems)
