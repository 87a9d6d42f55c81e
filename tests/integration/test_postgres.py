"""The production profile on a real PostgreSQL server (docs/production.md).

One throwaway server (Debian's `postgresql` binaries, see conftest.py) holds three databases:

- `dagster`: the Dagster instance, configured by deploy/dagster.postgres.yaml itself;
- `mlflow`: the MLflow tracking and registry backend (CHURN_MLFLOW_URI=postgresql+psycopg2://);
- `warehouse`: the dbt target `postgres` of dbt_project/profiles.yml.

A small simulated shop runs through the pipeline (`churn-recall materialize`, stages raw, dbt,
ml, recall) with the Dagster instance and MLflow on PostgreSQL; the warehouse of that run is the
DuckDB file (the Python assets read and write DuckDB). Then the same raw tables (and the
pipeline's ml.churn_scores and ml.recall_targeting) are copied into PostgreSQL, every dbt model,
data test and unit test is built there with `dbt build --target postgres`, and each model's rows
are compared with the pipeline's DuckDB tables.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration import campaign_plan
from orchestration.environment import DBT_PROJECT_DIR, REPO_ROOT, Environment
from pg_copy import copy_as_is, copy_raw, differences, fetch

pytestmark = pytest.mark.postgres

CUSTOMERS, MONTHS, SEED = 400, 12, 11
STAGES = ("raw", "dbt", "ml", "recall")
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


def _models() -> list[tuple[str, str]]:
    """(schema, model) of every dbt model: the schema is the top folder under models/."""
    root = DBT_PROJECT_DIR / "models"
    return sorted((path.relative_to(root).parts[0], path.stem)
                  for path in root.rglob("*.sql"))


MODELS = _models()
# Models this tiny shop may leave empty (still compared row for row): no one may opt out, no
# trigger event may fire, no one may be excluded, and no past campaign has the controls uplift
# training needs.
MAY_BE_EMPTY = {"stg_do_not_contact", "recall_trigger_events", "recall_trigger_assignments",
                "recall_contact_exclusions", "recall_uplift_training_rows"}
# A campaign plan in the deployment's CHURN_HOME, so the plan, contact-policy and trigger models
# run on PostgreSQL too (the data ends on 2026-03-31).
PLAN = """\
waves:
  - campaign_id: pg_wave
    churn_types: [silent, price_sensitive]
    starts_on: 2026-04-01
    budget: 500
    variants:
      - {name: content, offer: content_recommendation, channel: preferred, share: 0.5}
      - {name: coupon, offer: generic_coupon, channel: email, share: 0.5}
triggers:
  - campaign_id: pg_warning
    event: warning_stage
    holdout_share: 0.2
    variant: {name: nudge, offer: generic_coupon, channel: preferred}
  - campaign_id: pg_members
    event: membership_expiring
    days: 30
    variant: {name: renew, offer: exclusive_access, channel: email}
"""


def _pg_env(postgres) -> dict[str, str]:
    return {
        "DAGSTER_PG_HOST": postgres.host, "DAGSTER_PG_PORT": str(postgres.port),
        "DAGSTER_PG_USER": postgres.superuser, "DAGSTER_PG_PASSWORD": "unused-trust-auth",
        "DAGSTER_PG_DB": "dagster",
        "CHURN_MLFLOW_URI": postgres.url("mlflow", driver="postgresql+psycopg2"),
        "CHURN_PG_HOST": postgres.host, "CHURN_PG_PORT": str(postgres.port),
        "CHURN_PG_USER": postgres.superuser, "CHURN_PG_PASSWORD": "",
        "CHURN_PG_DATABASE": "warehouse",
    }


def _run(cmd: list[str], env: dict, cwd: Path, what: str) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        pytest.fail(f"{what} failed ({done.returncode}):\n{done.stdout[-6000:]}\n"
                    f"{done.stderr[-4000:]}")
    return done


@pytest.fixture(scope="module")
def deployment(postgres, tmp_path_factory, dbt_manifest):
    """The pipeline run on the PostgreSQL instance + MLflow, then the dbt project on the
    PostgreSQL warehouse. Returns (home, environment, dbt build output)."""
    from orchestration.settings import load_settings
    from sources.simulator import SimulationConfig, simulate_to_duckdb

    for database in ("dagster", "mlflow", "warehouse"):
        postgres.create_database(database)
    work = tmp_path_factory.mktemp("postgres_profile")
    home = work / "churn"
    (home / "dagster").mkdir(parents=True)
    # The documented production instance file, unchanged.
    shutil.copy(REPO_ROOT / "deploy" / "dagster.postgres.yaml", home / "dagster" / "dagster.yaml")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        simulate_to_duckdb(con, SimulationConfig(customers=CUSTOMERS, months=MONTHS, seed=SEED))
    (home / "plan.yml").write_text(PLAN)

    env = {**os.environ, **_pg_env(postgres), "CHURN_HOME": str(home),
           "DAGSTER_HOME": str(home / "dagster"), "CHURN_DBT_TARGET": "local",
           "CHURN_DUCKDB_PATH": str(home / "warehouse.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1",
           "GX_ANALYTICS_ENABLED": "false", "MLFLOW_ENABLE_TELEMETRY": "false"}
    stage_args = [arg for stage in STAGES for arg in ("--stage", stage)]
    _run([sys.executable, "-m", "orchestration.cli", "materialize", *stage_args],
         env, REPO_ROOT, "churn-recall materialize on the PostgreSQL instance")

    # The same raw rows (after the raw stage) and the pipeline's scores and targeting into
    # PostgreSQL.
    con = postgres.connect("warehouse")
    try:
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as duck:
            copy_raw(duck, con, work)
            copy_as_is(duck, con, "ml", "churn_scores", work)
            copy_as_is(duck, con, "ml", "recall_targeting", work)
    finally:
        con.close()

    settings = load_settings(home, {})
    dbt_vars = json.dumps(campaign_plan.dbt_vars(settings, Environment(home)), sort_keys=True)
    dbt_env = {**env, "CHURN_DBT_TARGET": "postgres",
               "DBT_TARGET_PATH": str(work / "dbt_target"), "DBT_LOG_PATH": str(work / "dbt_logs")}
    build = _run([str(DBT_EXECUTABLE), "build", "--vars", dbt_vars,
                  "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
                 dbt_env, DBT_PROJECT_DIR, "dbt build --target postgres")
    return home, env, build.stdout


def _duck_rows(home: Path, sql: str):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return fetch(con, sql)


def _pg_rows(postgres, database: str, sql: str):
    con = postgres.connect(database)
    try:
        with con.cursor() as cur:
            return fetch(cur, sql)
    finally:
        con.close()


def test_dbt_build_on_postgres_runs_every_model_test_and_unit_test(deployment):
    _, _, output = deployment
    summary = [line for line in output.splitlines() if "Done. PASS=" in line]
    assert summary, output[-3000:]
    assert "ERROR=0" in summary[-1] and "SKIP=0" in summary[-1], summary[-1]
    assert "Registered adapter: postgres" in output
    for model in ("customer_snapshots", "customer_lifecycle", "recall_segments"):
        assert f"model marts.{model}" in output


@pytest.mark.parametrize(("schema", "model"), MODELS, ids=[m for _, m in MODELS])
def test_model_has_the_same_rows_on_postgres_and_duckdb(deployment, postgres, schema, model):
    home, _, _ = deployment
    sql = f'select * from "{schema}"."{model}"'
    duck_columns, duck_rows = _duck_rows(home, sql)
    pg_columns, pg_rows = _pg_rows(postgres, "warehouse", sql)
    assert pg_columns == duck_columns
    assert len(duck_rows) > 0 or model in MAY_BE_EMPTY
    assert differences(duck_rows, pg_rows, duck_columns) == []


@pytest.mark.parametrize(("model", "columns"), [
    ("customer_snapshots", "customer_id, snapshot_date, is_churned_label"),
    ("customer_lifecycle", "customer_id, lifecycle_stage, churn_type, operating_layer"),
    ("customer_value", "customer_id, is_high_value"),
    ("recall_segments", "customer_id, layer, arm, offer, channel"),
])
def test_labels_stages_and_segments_identical_per_customer(deployment, postgres, model,
                                                            columns):
    home, _, _ = deployment
    sql = f"select {columns} from marts.{model} order by {columns}"
    _, duck_rows = _duck_rows(home, sql)
    _, pg_rows = _pg_rows(postgres, "warehouse", sql)
    assert len(duck_rows) > 0
    assert pg_rows == duck_rows


def test_dagster_runs_and_events_are_stored_in_postgres(deployment, postgres, monkeypatch):
    import dagster as dg
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    home, env, _ = deployment
    _, runs = _pg_rows(postgres, "dagster",
                       "select r.status, t.value from runs r join run_tags t "
                       "on t.run_id = r.run_id and t.key = 'churn/stage' order by r.id")
    assert runs == [("SUCCESS", stage) for stage in STAGES]
    _, events = _pg_rows(postgres, "dagster",
                         "select count(*) from event_logs where asset_key = "
                         "'[\"customer_snapshots\"]' and dagster_event_type = "
                         "'ASSET_MATERIALIZATION'")
    assert events[0][0] == 1

    # The instance the documented dagster.yaml describes reads the same runs back.
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD",
                 "DAGSTER_PG_DB"):
        monkeypatch.setenv(name, env[name])
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        stored = instance.get_runs()
        assert len(stored) == len(STAGES)
        assert {r.status for r in stored} == {dg.DagsterRunStatus.SUCCESS}
        event = instance.get_latest_materialization_event(dg.AssetKey("churn_scores"))
        assert event is not None


def test_mlflow_run_registry_and_model_on_postgres(deployment, postgres):
    from mlflow import MlflowClient

    from ml.registry import CHAMPION, MODEL_NAME
    from ml.scoring import score

    home, env, _ = deployment
    uri = env["CHURN_MLFLOW_URI"]
    assert uri.startswith("postgresql+psycopg2://")
    client = MlflowClient(tracking_uri=uri)
    champion = client.get_model_version_by_alias(MODEL_NAME, CHAMPION)
    run = client.get_run(champion.run_id)
    assert 0.5 < run.data.metrics["auc"] <= 1.0
    _, rows = _pg_rows(postgres, "mlflow", "select name, alias, version "
                                           "from registered_model_aliases")
    assert (MODEL_NAME, CHAMPION, int(champion.version)) in rows

    # The champion, loaded back through the PostgreSQL registry, reproduces the stored scores.
    _, stored = _duck_rows(home, "select customer_id, churn_probability, model_version "
                                 "from ml.churn_scores where population = 'active' "
                                 "order by customer_id")
    assert stored and {r[2] for r in stored} == {str(champion.version)}
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        latest = con.execute("select * from marts.customer_snapshots where snapshot_date = "
                             "(select max(snapshot_date) from marts.customer_snapshots)").df()
    again = score(latest, tracking_uri=uri).sort_values("customer_id")
    assert list(again["customer_id"]) == [r[0] for r in stored]
    assert again["churn_probability"].to_numpy() == pytest.approx([r[1] for r in stored])
