"""One demo run (1,500 customers x 15 months, seed 5) through the real CLI, shared by the demo
tests (what it builds) and the CLI output tests (what it prints): the demo is the slowest step
of the suite, so it runs once per session."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo") / "churn"
    env = {**os.environ, "CHURN_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "demo", "--customers", "1500",
         "--months", "15", "--seed", "5"],
        env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return home, done
