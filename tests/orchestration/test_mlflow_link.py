"""Links to MLflow runs in Dagster's metadata follow the configured MLflow UI, and
`churn-recall ui` configures them for the server it starts."""

from __future__ import annotations

import pytest


def test_mlflow_link_uses_the_configured_ui_url(churn_home, monkeypatch):
    from orchestration.defs.ml.assets import _mlflow_link
    from orchestration.defs.resources import PlatformResource

    platform = PlatformResource(home=str(churn_home))
    monkeypatch.delenv("CHURN_MLFLOW_UI_URL", raising=False)
    assert _mlflow_link(platform, "r1", "3") == "http://127.0.0.1:5000/#/experiments/3/runs/r1"
    monkeypatch.setenv("CHURN_MLFLOW_UI_URL", "https://mlflow.example.org/churn/")
    assert _mlflow_link(platform, "r1", None) == \
        "https://mlflow.example.org/churn/#/experiments/0/runs/r1"


class _Exited:
    """A started server that has already exited (so `churn-recall ui` stops at once)."""

    pid = -1
    returncode = 0

    def poll(self) -> int:
        return 0


@pytest.mark.parametrize("preset, expected", [
    (None, "http://127.0.0.1:5123"),
    ("https://mlflow.example.org", "https://mlflow.example.org"),  # e.g. behind a proxy: kept
])
def test_ui_points_dagster_links_at_its_mlflow_server(dbt_manifest, churn_home, monkeypatch,
                                                     preset, expected):
    from orchestration.cli import main
    from orchestration.lib import ui_processes

    if preset is None:
        monkeypatch.delenv("CHURN_MLFLOW_UI_URL", raising=False)
    else:
        monkeypatch.setenv("CHURN_MLFLOW_UI_URL", preset)
    monkeypatch.setenv("CHURN_DUCKDB_PATH", "")  # the command exports it; restored after
    started = {}

    def start_group(cmd, env=None, cwd=None, **kwargs):
        started[cmd[1]] = env
        return _Exited()

    monkeypatch.setattr(ui_processes, "start_group", start_group)
    monkeypatch.setattr(ui_processes, "stop_groups", lambda procs, timeout: [True] * len(procs))
    assert main(["--home", str(churn_home), "ui", "--mlflow-port", "5123"]) == 0
    assert started["dev"]["CHURN_MLFLOW_UI_URL"] == expected  # `dagster dev`
