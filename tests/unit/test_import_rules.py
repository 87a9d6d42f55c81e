"""The import graph (DESIGN.md section 2): `orchestration` may import `sources`, `ml` and
`expectations`; those three never import Dagster or `orchestration`, nor one another, except
the raw-table contract (`sources.contract`), which every package reads."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("sources", "ml", "expectations")
SHARED = ("sources.contract",)


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _forbidden(name: str, package: str) -> bool:
    top = name.split(".")[0]
    if top == package or name in SHARED:
        return False
    return top == "orchestration" or top.split("_")[0] == "dagster" or top in PACKAGES


@pytest.mark.parametrize("package", PACKAGES)
def test_domain_packages_import_no_dagster_nor_each_other(package: str) -> None:
    found = [f"{path.relative_to(ROOT)}: {name}"
             for path in sorted(ROOT.joinpath(package).rglob("*.py"))
             for name in _imports(path) if _forbidden(name, package)]
    assert not found, "\n".join(found)
