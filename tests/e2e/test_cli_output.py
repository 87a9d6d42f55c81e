"""What the CLI prints: one line per stage and the summary, the full logs in CHURN_HOME/logs, and a
failed step as one `error:` sentence naming it and the log (no traceback). Through the real CLI,
on a small demo in a temporary CHURN_HOME."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

# The stage lines, the campaign plan (a block per wave), the summary with per-layer and
# per-variant effects of the past waves and the pilot.
MAX_LINES = 100
STAGE_LINE = re.compile(r"^\[(raw|dbt|ml|recall|exports)\] \d+ assets?(, \d+ checks?)? "
                        r"in \d+\.\ds(, \d+ warned: .*)?$")


def _cli(home: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "CHURN_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def _log(done: subprocess.CompletedProcess) -> Path:
    named = re.findall(r"^Full log: (.+\.log)$", done.stdout, flags=re.M)
    assert len(named) == 1, done.stdout
    return Path(named[0])


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run


def test_demo_prints_one_line_per_stage_and_the_summary(demo):
    _, done = demo
    lines = done.stdout.splitlines() + done.stderr.splitlines()
    assert len(lines) <= MAX_LINES, "\n".join(lines)
    assert done.stderr == ""
    stages = [line.split("]")[0][1:] for line in lines if STAGE_LINE.match(line)]
    # the pipeline, then the responses to the pilot (raw and recall again), then, when the
    # pilot has a winner, the rollout (recall, exports) and its responses
    pilot = ["raw", "dbt", "ml", "recall", "exports", "raw", "recall"]
    assert stages in (pilot, pilot + ["recall", "exports", "raw", "recall"]), lines
    assert re.search(r"^\[dbt\] \d+ assets, \d+ checks in", done.stdout, flags=re.M)
    assert "materializing" not in done.stdout          # not a terminal: no status lines
    assert "Running with dbt" not in done.stdout and "__ephemeral_asset_job__" not in done.stdout
    assert not [line for line in lines if line.startswith(("INFO ", "WARNING ", "DEBUG "))]
    assert "AUC" in done.stdout and "uplift" in done.stdout
    assert done.stdout.splitlines()[-1].startswith("Full log: ")


def test_full_log_is_in_churn_home_with_dbt_output(demo):
    home, done = demo
    log = _log(done)
    assert log.parent == home / "logs" and log.name.startswith("demo-") and log.exists()
    text = log.read_text()
    assert "Running with dbt=" in text and "Completed successfully" in text  # dbt's output
    assert "dagster" in text                                                  # Dagster's logs
    assert ">>> [dbt] materializing ..." in text and "Label rate" in text     # what was said


def test_failed_step_is_one_sentence_naming_step_and_log(demo, tmp_path):
    home, _ = demo
    broken = tmp_path / "churn"
    shutil.copytree(home, broken)
    with duckdb.connect(str(broken / "warehouse.duckdb")) as con:
        con.execute("drop table marts.recall_segments")
    done = _cli(broken, "materialize", "--stage", "exports", timeout=600)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    found = re.fullmatch(r"error: stage exports failed at step crm_export \((.+)\); "
                         r"see (.+\.log)", line)
    assert found, line
    assert "recall_segments" in found.group(1)
    log = Path(found.group(2))
    assert log.parent == broken / "logs"
    assert "Traceback" in log.read_text() and "recall_segments" in log.read_text()


def test_invalid_setting_is_one_sentence(demo):
    home, _ = demo
    done = _cli(home, "materialize", "--set", "holdout_share=7", timeout=300)
    assert done.returncode == 2
    assert done.stdout == "" and "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("error: invalid settings: holdout_share=7.0")
    assert re.search(r"; see .+/logs/materialize-[\d-]+\.log$", line)
