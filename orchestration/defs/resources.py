"""Resources shared by every asset: settings, the DuckDB warehouse, MLflow and dbt."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs.dbt.project import dbt_project
from orchestration.environment import Environment
from orchestration.settings import Settings, load_settings
from sources import warehouse

DUCKDB_POOL = "duckdb"
OWNER = "team:data-platform"


class PlatformResource(dg.ConfigurableResource):
    """CHURN_HOME and the effective settings (settings.toml plus overrides)."""

    home: str
    overrides_json: str = "{}"

    @property
    def env(self) -> Environment:
        return Environment(Path(self.home).resolve())

    @property
    def settings(self) -> Settings:
        return load_settings(self.env.home, json.loads(self.overrides_json))

    @contextmanager
    def connect(self, read_only: bool = False):
        with warehouse.connect(self.env.warehouse, read_only=read_only,
                               memory_limit=self.settings.duckdb_memory_limit) as con:
            yield con


def build_resources(home: str | None = None, overrides: dict | None = None) -> dict:
    platform = PlatformResource(
        home=home or dg.EnvVar("CHURN_HOME").get_value(".churn"),
        overrides_json=json.dumps(overrides or {}),
    )
    return {"platform": platform, "dbt": DbtCliResource(project_dir=dbt_project)}


defs = dg.Definitions(resources=build_resources())
