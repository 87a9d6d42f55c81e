"""Run a dbt selection against a small hand-made warehouse (dbt as a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.environment import DBT_PROJECT_DIR
from orchestration.settings import Settings


def run_dbt(warehouse: Path, select: str, settings: Settings | None = None,
            target: Path | None = None, extra_vars: dict | None = None) -> None:
    """`dbt build --select ...` without tests, on `warehouse`, with the settings as vars (and
    `extra_vars` on top, e.g. a campaign plan's `recall_plan`)."""
    target = target or warehouse.parent / "dbt_target"
    env = {**os.environ, "CHURN_DUCKDB_PATH": str(warehouse),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [str(Path(sys.executable).parent / "dbt"), "build", "--select", select,
           "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test",
           "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
           "--target-path", str(target),
           "--vars", json.dumps((settings or Settings()).dbt_vars() | (extra_vars or {}))]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=DBT_PROJECT_DIR)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
