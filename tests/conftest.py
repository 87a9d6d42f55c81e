"""Shared fixtures: every test gets its own CHURN_HOME; the dbt manifest is built once."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")


@pytest.fixture(scope="session")
def dbt_manifest():
    """The prepare step (`churn-recall prepare`), once per session: tests that import the
    Dagster definitions request this first, since importing them never parses the dbt project."""
    from orchestration.lib.dbt_manifest import prepare

    return prepare()


@pytest.fixture
def churn_home(tmp_path, monkeypatch):
    home = tmp_path / "churn"
    monkeypatch.setenv("CHURN_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    return home
