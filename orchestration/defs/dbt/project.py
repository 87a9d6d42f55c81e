"""The dbt project, built once. Importing it never runs dbt outside `dagster dev`: the manifest
comes from the prepare step (`churn-recall prepare`, run by the CLI commands and the test
session; or `dagster-dbt project prepare-and-package --file orchestration/defs/dbt/project.py`).
Under `dagster dev`, `prepare_if_dev()` re-parses a missing or stale manifest, and only then,
so run workers that re-import the code location find it fresh and do not parse in parallel.
"""

from dagster_dbt import DbtProject

from orchestration.environment import DBT_PROJECT_DIR
from orchestration.lib.dbt_manifest import is_stale

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
if is_stale(DBT_PROJECT_DIR):
    dbt_project.prepare_if_dev()
