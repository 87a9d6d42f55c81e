"""The dbt prepare step: importing the definitions never runs dbt; `prepare()` (`churn-recall
prepare`, the CLI commands, the test session) parses once, when the manifest is missing or stale.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.environment import DBT_PROJECT_DIR
from orchestration.lib.dbt_manifest import ensure_manifest, is_stale, manifest_path

# Import the code location against another dbt project folder (a copy without target/).
IMPORT_DEFINITIONS = """
import sys, traceback
from pathlib import Path
import orchestration.environment as environment
environment.DBT_PROJECT_DIR = Path(sys.argv[1])
try:
    import orchestration.definitions
except Exception:
    traceback.print_exc()
    sys.exit(3)
"""


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The dbt project's sources, without target/ (no manifest) and logs/."""
    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    return copy


def test_definitions_without_a_manifest_say_what_to_run(project_copy: Path, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_IS_DEV_CLI"}
    env |= {"CHURN_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path / "dagster")}
    done = subprocess.run([sys.executable, "-c", IMPORT_DEFINITIONS, str(project_copy)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "ManifestNotPreparedError" in done.stderr
    assert "run `churn-recall prepare`" in done.stderr
    assert "dagster-dbt project prepare-and-package" in done.stderr
    assert not (project_copy / "target").exists()  # dbt did not run


def test_prepare_parses_a_missing_or_stale_manifest_only(project_copy: Path):
    manifest = manifest_path(project_copy)
    assert is_stale(project_copy)
    assert ensure_manifest(project_copy) == manifest and manifest.exists()
    assert not is_stale(project_copy)
    parsed_at = manifest.stat().st_mtime_ns
    ensure_manifest(project_copy)  # up to date: no parse
    assert manifest.stat().st_mtime_ns == parsed_at
    model = next((project_copy / "models").rglob("*.sql"))
    later = manifest.stat().st_mtime + 10
    os.utime(model, (later, later))  # a model edited after the parse
    assert is_stale(project_copy)


def test_cli_prepare_reports_the_manifest(dbt_manifest, capsys):
    from orchestration.cli import main

    assert main(["prepare"]) == 0
    assert f"dbt manifest ready: {dbt_manifest}" in capsys.readouterr().out
