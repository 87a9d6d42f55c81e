"""Fixtures for tests that run dbt against small simulated DuckDB warehouses.

dbt runs as a subprocess (dbt-duckdb keeps the file lock in-process), with its target and log
folders under pytest's tmp dirs so other work in the checkout is untouched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ml.targeting import TARGETING_COLUMNS
from orchestration.environment import DBT_PROJECT_DIR

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")

# The core models (staging, intermediate, customer marts) and everything they need.
CORE_MODELS = ("+customer_snapshots", "+lapsed_customer_snapshots", "+customer_lifecycle",
               "+customer_value",
               "+cohort_retention", "+churn_rates", "+int_campaign_exposure")
# The recall marts (and the seeds they read); they also read ml.churn_scores, which the
# pipeline writes from the model: the test warehouses get a deterministic one (add_churn_scores),
# and ml.recall_targeting, empty.
RECALL_MODELS = ("+recall_segments", "+recall_dashboard", "+recall_effect_six_months")

# The empty ml.recall_targeting the recall_targeting asset writes without an uplift champion
# (recall_segments then keeps its rule-based ranking).
_SQL_TYPES = {"string": "varchar", "float64": "double", "bool": "boolean", "int64": "bigint"}
EMPTY_TARGETING_SQL = "create or replace table ml.recall_targeting ({});".format(
    ", ".join(f"{c} {_SQL_TYPES[t]}" for c, t in TARGETING_COLUMNS.items()))

# Every customer scored, deterministically from the id: a fifth lapsed (scored by the return
# model), probabilities spread over [0, 1) so some active customers are at risk.
CHURN_SCORES_SQL = """
create schema if not exists ml;
create or replace table ml.churn_scores as
with scored as (
    select
        customer_id,
        (hash(customer_id || '|p') % 1000) / 1000.0 as churn_probability,
        hash(customer_id || '|population') % 5 = 0 as is_lapsed,
        (['price', 'service', 'competitor', 'activity'])[cast(1 + hash(customer_id) % 4 as bigint)]
            as reason
    from (select distinct customer_id from raw.customers)
)
select
    customer_id,
    date '2026-01-01' as snapshot_date,
    case when is_lapsed then 'lapsed' else 'active' end as population,
    churn_probability,
    1.0 - churn_probability as return_probability,
    cast(10 - floor(churn_probability * 10) as bigint) as risk_decile,
    reason as reason_1,
    'value' as reason_2,
    'activity' as reason_3,
    reason as churn_cause,
    'fixture' as model_version,
    timestamp '2026-01-01 00:00:00' as scored_at
from scored;
""" + EMPTY_TARGETING_SQL


def run_dbt(args: list[str], warehouse: Path, work_dir: Path) -> subprocess.CompletedProcess:
    """Run `dbt <args>` on `warehouse`; fail the test with dbt's output when it fails."""
    env = {
        **os.environ,
        "CHURN_DUCKDB_PATH": str(warehouse),
        "CHURN_DBT_TARGET": "local",
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    proc = subprocess.run(
        [str(DBT_EXECUTABLE), *args, "--profiles-dir", str(DBT_PROJECT_DIR),
         "--project-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return proc


def build_args(*selectors: str) -> list[str]:
    # buildable: skip tests (relationships) whose other parents lie outside the selection.
    return ["build", "--select", *selectors, "--indirect-selection", "buildable"]


def simulate(path: Path, customers: int = 300, months: int = 8, seed: int = 7) -> Path:
    """A fresh raw warehouse at `path` from the seeded simulator."""
    from sources.simulator import SimulationConfig, simulate_to_duckdb

    con = duckdb.connect(str(path))
    try:
        simulate_to_duckdb(con, SimulationConfig(customers=customers, months=months, seed=seed))
    finally:
        con.close()
    return path


def add_churn_scores(path: Path) -> Path:
    """A deterministic ml.churn_scores and an empty ml.recall_targeting (no uplift champion) in
    the warehouse at `path` (CHURN_SCORES_SQL)."""
    con = duckdb.connect(str(path))
    try:
        con.execute(CHURN_SCORES_SQL)
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def dbt_work_dir(tmp_path_factory) -> Path:
    """One dbt target/log folder for the session (partial parsing across builds)."""
    return tmp_path_factory.mktemp("dbt_work")


@pytest.fixture(scope="session")
def raw_warehouse(tmp_path_factory) -> Path:
    """Pristine simulated raw data (never built on: copy it first)."""
    return simulate(tmp_path_factory.mktemp("raw") / "warehouse.duckdb")


@pytest.fixture(scope="session")
def built_warehouse(raw_warehouse, dbt_work_dir, tmp_path_factory) -> Path:
    """The raw warehouse with deterministic churn scores and every core and recall model (and
    seed) built, with all their data tests and unit tests run."""
    import shutil

    path = tmp_path_factory.mktemp("built") / "warehouse.duckdb"
    shutil.copy(raw_warehouse, path)
    add_churn_scores(path)
    run_dbt(build_args(*CORE_MODELS, *RECALL_MODELS), path, dbt_work_dir)
    return path


def query(path: Path, sql: str):
    """Rows of `sql` on a closed warehouse (read-only connection, closed again)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(sql).df()
    finally:
        con.close()
