"""Make sure the dbt manifest exists and is newer than the dbt sources before Dagster loads it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _newest_source(project_dir: Path) -> float:
    paths = [p for sub in ("models", "macros", "tests") for p in (project_dir / sub).rglob("*")
             if p.is_file()]
    paths += [project_dir / "dbt_project.yml"]
    return max(p.stat().st_mtime for p in paths)


def manifest_path(project_dir: Path) -> Path:
    return project_dir / "target" / "manifest.json"


def ensure_manifest(project_dir: Path) -> Path:
    """Run `dbt parse` (as a subprocess, so no DuckDB lock is kept) when the manifest is stale."""
    manifest = manifest_path(project_dir)
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source(project_dir):
        return manifest
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [str(Path(sys.executable).parent / "dbt"), "parse", "--quiet",
           "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    done = subprocess.run(cmd, cwd=project_dir, env=env, capture_output=True, text=True)
    if done.returncode != 0 or not manifest.exists():
        raise RuntimeError(f"dbt parse failed in {project_dir}:\n{done.stdout}\n{done.stderr}")
    return manifest
