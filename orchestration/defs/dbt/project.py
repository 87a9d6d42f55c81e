"""The dbt project, built once; the manifest is (re)parsed when missing or stale."""

from dagster_dbt import DbtProject

from orchestration.environment import DBT_PROJECT_DIR
from orchestration.lib.dbt_manifest import ensure_manifest

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
ensure_manifest(DBT_PROJECT_DIR)
