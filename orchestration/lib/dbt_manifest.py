"""The dbt manifest the code location loads: built by an explicit prepare step, never on import.

`prepare()` runs `dbt parse` when the manifest is missing or older than the dbt sources:
`churn-recall prepare`, the CLI commands that load the definitions (demo, materialize, export,
ui) and the test session call it before importing `orchestration.definitions`. Importing the
definitions only checks (`require_manifest`) and says what to run. Under `dagster dev`,
`defs/dbt/project.py` lets dagster-dbt's `prepare_if_dev()` re-parse a stale manifest instead.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

PREPARE_COMMAND = "churn-recall prepare"
PACKAGE_COMMAND = ("dagster-dbt project prepare-and-package "
                   "--file orchestration/defs/dbt/project.py")
LOCK_TIMEOUT_S = 600
_SOURCE_FOLDERS = ("models", "macros", "tests", "seeds", "snapshots", "analyses")


class ManifestNotPreparedError(FileNotFoundError):
    """The code location was imported before the dbt project was prepared."""


class DbtParseError(RuntimeError):
    """`dbt parse` failed: the dbt project itself has an error."""


def manifest_path(project_dir: Path) -> Path:
    return project_dir / "target" / "manifest.json"


def _newest_source(project_dir: Path) -> float:
    paths = [p for sub in _SOURCE_FOLDERS for p in (project_dir / sub).rglob("*") if p.is_file()]
    paths.append(project_dir / "dbt_project.yml")
    return max(p.stat().st_mtime for p in paths)


def is_stale(project_dir: Path) -> bool:
    """True when the manifest is missing or older than a dbt source file."""
    manifest = manifest_path(project_dir)
    return not manifest.exists() or manifest.stat().st_mtime < _newest_source(project_dir)


def ensure_manifest(project_dir: Path) -> Path:
    """Run `dbt parse` when the manifest is missing or stale. A subprocess, so no DuckDB lock is
    kept; under the lock dagster-dbt's own prepare step takes, so parallel prepares (two CLI
    runs, `dagster dev`) parse once and never write the manifest at the same time."""
    from filelock import FileLock

    manifest = manifest_path(project_dir)
    if not is_stale(project_dir):
        return manifest
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(manifest.with_suffix(".concurrent-update-lock"), timeout=LOCK_TIMEOUT_S):
        if not is_stale(project_dir):  # another process parsed while this one waited
            return manifest
        env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        cmd = [str(Path(sys.executable).parent / "dbt"), "parse", "--quiet",
               "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
        done = subprocess.run(cmd, cwd=project_dir, env=env, capture_output=True, text=True)
        if done.returncode != 0 or not manifest.exists():
            output = "\n".join(s for s in (done.stdout.strip(), done.stderr.strip()) if s)
            first = next((line.strip() for line in output.splitlines() if line.strip()),
                         f"exit code {done.returncode}")
            raise DbtParseError(f"dbt parse failed in {project_dir}: {first}\n{output}")
    return manifest


def prepare(project_dir: Path | None = None) -> Path:
    """The prepare step: the manifest of the project's dbt project, parsed if needed."""
    from orchestration.environment import DBT_PROJECT_DIR

    return ensure_manifest(project_dir or DBT_PROJECT_DIR)


def require_manifest(manifest: Path, project_dir: Path) -> Path:
    """`manifest`, which must exist: refuse with what to run instead of running dbt on import.
    A stale one is loaded (with a warning): the prepare step decides when to parse."""
    if not manifest.exists():
        raise ManifestNotPreparedError(
            f"dbt manifest not found at {manifest}: prepare the dbt project before loading the "
            f"Dagster definitions: run `{PREPARE_COMMAND}` (or `{PACKAGE_COMMAND}`).")
    if is_stale(project_dir):
        log.warning("dbt manifest %s is older than the dbt project's files: run `%s` to pick "
                    "up the changes", manifest, PREPARE_COMMAND)
    return manifest
