"""The one place that decides where things live: CHURN_HOME and everything derived from it.

Local default: `./.churn` holding the DuckDB warehouse, the Dagster instance (SQLite), the MLflow
tracking database (SQLite) and artifacts, the inbox for new files and the CRM exports.
Production: set `CHURN_MLFLOW_URI` (e.g. PostgreSQL) and `DAGSTER_HOME` with a PostgreSQL
`dagster.yaml`; dbt picks its target from `CHURN_DBT_TARGET`. `CHURN_MLFLOW_UI_URL` is where the
MLflow UI answers (links in Dagster's metadata); `churn-recall ui` sets it to the server it starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_MLFLOW_UI_URL = "http://127.0.0.1:5000"

_DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  pools:
    granularity: op
    default_limit: 1
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
"""


@dataclass(frozen=True)
class Environment:
    """Paths and URIs of one CHURN_HOME."""

    home: Path

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def mlflow_uri(self) -> str:
        return os.environ.get("CHURN_MLFLOW_URI") or f"sqlite:///{(self.home / 'mlflow.db')}"

    @property
    def mlflow_ui_url(self) -> str:
        """Base URL of the MLflow UI, for links to runs (`CHURN_MLFLOW_UI_URL`)."""
        return (os.environ.get("CHURN_MLFLOW_UI_URL") or DEFAULT_MLFLOW_UI_URL).rstrip("/")

    @property
    def artifact_root(self) -> Path:
        return self.home / "mlartifacts"

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @property
    def exports(self) -> Path:
        return self.home / "exports"

    @property
    def plots(self) -> Path:
        return self.home / "plots"

    @property
    def dbt_target(self) -> str:
        return os.environ.get("CHURN_DBT_TARGET", "local")

    def prepare(self) -> "Environment":
        """Create the folders and a Dagster instance config; export the variables dbt and
        Dagster read. Idempotent; never called at import time."""
        for folder in (self.home, self.dagster_home, self.artifact_root, self.inbox,
                       self.exports, self.plots):
            folder.mkdir(parents=True, exist_ok=True)
        dagster_yaml = self.dagster_home / "dagster.yaml"
        if not dagster_yaml.exists():
            dagster_yaml.write_text(_DAGSTER_YAML)
        os.environ["CHURN_HOME"] = str(self.home)
        os.environ["CHURN_DUCKDB_PATH"] = str(self.warehouse)
        os.environ.setdefault("DAGSTER_HOME", str(self.dagster_home))
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")
        os.environ.setdefault("DO_NOT_TRACK", "1")
        return self


def current() -> Environment:
    """The environment of this process, from CHURN_HOME (default `./.churn`)."""
    return Environment(Path(os.environ.get("CHURN_HOME", ".churn")).resolve())
