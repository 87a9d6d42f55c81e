"""The Dagster and MLflow UIs in a real (headless) browser, on a tiny demo.

A module fixture copies the session's demo home (`tests/e2e/conftest.py`) to a temporary
CHURN_HOME, starts `churn-recall ui` on free ports (its own process group), waits until Dagster's
code location is LOADED and MLflow answers, and drives Debian's Chromium through selenium + chromedriver. The
tests read the rendered page text: what a data engineer and a data scientist would see.

Screenshots go to the test's tmp dir and to `test-artifacts/ui/` at the repository root.
Needs `chromium` and `chromium-driver` (Debian packages; `bash scripts/test.sh` installs them). Without them
the tests fail (they do not skip): the UIs are part of what this project promises.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from orchestration.environment import REPO_ROOT
from orchestration.lib import ui_processes as ui
from tests.e2e.browser import browser_paths as _browser_paths
from tests.e2e.browser import chrome as _chrome

pytestmark = pytest.mark.timeout(2700)

ARTIFACTS = REPO_ROOT / "test-artifacts" / "ui"
GROUPS = ("raw", "dbt", "ml", "recall", "exports")
PAGE_TIMEOUT = 180  # seconds for one page to show what we wait for (the machine is slow)
@dataclass
class UiStack:
    home: Path
    shots: Path
    dagster: str
    mlflow: str
    proc: subprocess.Popen
    log: Path
    experiment_id: str
    run_id: str
    run_name: str
    auc: float
    champion_version: str
    churn_scores_rows: int
    driver: object = None
    stopped: bool = field(default=False)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def child_groups(self) -> list[int]:
        found = re.search(r"Process groups: dagster (\d+), mlflow (\d+), report (\d+)",
                          self.output())
        return [int(g) for g in found.groups()] if found else []

    def quit_browser(self) -> None:
        if self.driver is not None:
            try:
                self.driver.quit()
            except Exception:  # noqa: BLE001 - a dead driver is what we wanted anyway
                pass
            self.driver = None

    def stop(self, timeout: float = 90) -> int | None:
        """What a user's Ctrl-C does: signal `churn-recall ui`, which stops both groups."""
        self.quit_browser()
        if self.stopped:
            return self.proc.returncode
        self.stopped = True
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # Whatever happened above, leave nothing behind.
        ui.stop_groups([self.proc.pid, *self.child_groups()], timeout=10)
        return self.proc.returncode


def _ground_truth(home: Path) -> dict:
    """What the UIs must show, read straight from the stores (before any server starts)."""
    import duckdb
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    champion = client.get_model_version_by_alias("churn_xgboost", "champion")
    run = client.get_run(champion.run_id)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("select count(*) from ml.churn_scores").fetchone()[0]
    return {"experiment_id": run.info.experiment_id, "run_id": run.info.run_id,
            "run_name": run.info.run_name, "auc": run.data.metrics["auc"],
            "champion_version": str(champion.version), "churn_scores_rows": rows}


@pytest.fixture(scope="module")
def stack(tmp_path_factory, demo_run):
    chromium, driver_path = _browser_paths()  # fail before the slow part when it can't work
    base = tmp_path_factory.mktemp("ui")
    home = base / "churn"
    shots = base / "screenshots"
    shots.mkdir()
    env = ui.child_env({**os.environ, "CHURN_HOME": str(home),
                        "DAGSTER_HOME": str(home / "dagster")})
    shutil.copytree(demo_run[0], home)  # the session's demo (tests/e2e/conftest.py), copied
    truth = _ground_truth(home)

    dagster_port, mlflow_port = ui.free_port(), ui.free_port()
    while mlflow_port == dagster_port:
        mlflow_port = ui.free_port()
    log = base / "ui.log"
    with open(log, "wb") as out:
        proc = ui.start_group(
            [sys.executable, "-m", "orchestration.cli", "ui", "--dagster-port", str(dagster_port),
             "--mlflow-port", str(mlflow_port)],
            env=env, cwd=base, stdout=out, stderr=subprocess.STDOUT)
    s = UiStack(home=home, shots=shots, dagster=f"http://127.0.0.1:{dagster_port}",
                mlflow=f"http://127.0.0.1:{mlflow_port}", proc=proc, log=log, **truth)
    try:
        try:
            ui.wait_dagster_loaded(s.dagster, timeout=600, procs=[proc])
            ui.wait_http(f"{s.mlflow}/health", timeout=300, procs=[proc])
            ui.wait_http(f"{s.mlflow}/", timeout=60, procs=[proc])
        except Exception as exc:
            pytest.fail(f"UIs did not come up: {exc}\n--- churn-recall ui output ---\n"
                        f"{s.output()[-6000:]}", pytrace=False)
        s.driver = _chrome(chromium, driver_path, base / "chrome-profile")
        yield s
    finally:
        s.stop()


# --- page helpers ---------------------------------------------------------------------------

def _body_text(driver) -> str:
    try:
        return driver.find_element("tag name", "body").text
    except Exception:  # noqa: BLE001 - the page is still (re)rendering
        return ""


def _screenshot(s: UiStack, name: str) -> Path:
    path = s.shots / name
    s.driver.save_screenshot(str(path))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, ARTIFACTS / name)
    return path


def _wait_for(s: UiStack, what: str, predicate, timeout: float = PAGE_TIMEOUT):
    """Wait until predicate(page text) is truthy; on timeout keep a screenshot and fail with
    the page text, so a failure says what the page showed instead."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(s.driver, timeout, poll_frequency=1).until(
            lambda d: predicate(_body_text(d)))
    except TimeoutException:
        shot = _screenshot(s, f"FAILED_{re.sub(r'[^a-z0-9]+', '_', what.lower())}.png")
        pytest.fail(f"{what}: not shown within {timeout}s at {s.driver.current_url} "
                    f"(screenshot {shot}). Page text:\n{_body_text(s.driver)[:3000]}",
                    pytrace=False)


def _open(s: UiStack, url: str) -> None:
    s.driver.get(url)


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines()}


def _dismiss_dagster_popups(s: UiStack) -> None:
    """Dagster shows a 'Join the Dagster community' dialog on first visit: Skip it."""
    for button in s.driver.find_elements("xpath", "//button[normalize-space()='Skip']"):
        try:
            button.click()
            time.sleep(1)
        except Exception:  # noqa: BLE001 - it went away by itself
            pass


def _close_mlflow_assistant(s: UiStack) -> None:
    """MLflow 3 opens an 'MLflow Assistant' side panel on first load; close it (the choice is
    kept in the browser profile) so the screenshots show the page itself."""
    if "MLflow Assistant" not in _body_text(s.driver):
        return
    for button in s.driver.find_elements("css selector", "button[aria-label='Close']"):
        try:
            if button.is_displayed():
                button.click()
                time.sleep(1)
                return
        except Exception:  # noqa: BLE001 - re-rendered meanwhile; the next page tries again
            pass


def _scroll_to_text(s: UiStack, prefix: str) -> None:
    elements = s.driver.find_elements(
        "xpath", f"//*[starts-with(normalize-space(.), '{prefix}') and not(*[starts-with("
                 f"normalize-space(.), '{prefix}')])]")
    if elements:
        s.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", elements[0])
        time.sleep(1)


# --- Dagster --------------------------------------------------------------------------------

def test_dagster_asset_graph_shows_every_group(stack):
    _open(stack, f"{stack.dagster}/asset-groups")
    _wait_for(stack, "asset groups in the global lineage",
              lambda t: set(GROUPS) <= _lines(t) and "Global asset lineage" in t)
    _dismiss_dagster_popups(stack)
    time.sleep(3)  # let the graph layout settle for the screenshot
    _screenshot(stack, "dagster_assets.png")


def test_dagster_catalog_lists_materialized_assets(stack):
    _open(stack, f"{stack.dagster}/assets")
    text = _wait_for(stack, "asset catalog",
                     lambda t: t if "churn_model" in _lines(t) and "Materialized" in t else "")
    _dismiss_dagster_popups(stack)
    assert "orchestration.definitions" in text
    _screenshot(stack, "dagster_catalog.png")


def test_dagster_asset_page_shows_last_materialization(stack):
    _open(stack, f"{stack.dagster}/assets/churn_scores")
    text = _wait_for(
        stack, "churn_scores latest materialization",
        lambda t: t if re.search(r"Latest materialization\s*\n\s*\S.*\bago\b", t)
        and "Row count" in t and "model_version" in t else "")
    _dismiss_dagster_popups(stack)
    rows = re.search(r"Row count\s*\n\s*([\d,]+)", text)
    assert rows and int(rows.group(1).replace(",", "")) == stack.churn_scores_rows, text[:2000]
    assert re.search(r"Group\s*\n\s*ml\b", text), "churn_scores should be in group ml"
    _screenshot(stack, "dagster_asset_churn_scores.png")


def test_dagster_contract_check_of_raw_orders_shows_a_result(stack):
    _open(stack, f"{stack.dagster}/assets/raw/orders?view=checks")
    text = _wait_for(
        stack, "raw/orders contract_suite result",
        lambda t: t if re.search(r"contract_suite\s*\n\s*Succeeded", t)
        and re.search(r"Evaluation result\s*\n\s*Passed", t) else "")
    _dismiss_dagster_popups(stack)
    assert "This is a blocking asset check" in text
    evaluated = re.search(r"evaluated_rows\s+(\d+)", text)
    assert evaluated and int(evaluated.group(1)) > 0, text[:2000]
    _screenshot(stack, "dagster_checks_raw_orders.png")


# --- MLflow ---------------------------------------------------------------------------------

def test_mlflow_lists_the_churn_experiment(stack):
    _open(stack, f"{stack.mlflow}/#/experiments")
    _wait_for(stack, "experiment list", lambda t: "Experiments" in t and "churn" in _lines(t))
    _close_mlflow_assistant(stack)
    _open(stack, f"{stack.mlflow}/#/experiments/{stack.experiment_id}/runs")
    _wait_for(stack, "runs of experiment churn",
              lambda t: stack.run_name in t and "churn" in _lines(t))
    _close_mlflow_assistant(stack)
    time.sleep(2)
    _screenshot(stack, "mlflow_experiment.png")


def test_mlflow_run_page_shows_auc(stack):
    _open(stack, f"{stack.mlflow}/#/experiments/{stack.experiment_id}/runs/{stack.run_id}")
    text = _wait_for(stack, "run metrics",
                     lambda t: t if re.search(r"(?m)^auc\s*\n\s*[0-9.]+\s*$", t) else "")
    _close_mlflow_assistant(stack)
    shown = float(re.search(r"(?m)^auc\s*\n\s*([0-9.]+)\s*$", text).group(1))
    assert shown == pytest.approx(stack.auc, abs=1e-6)
    assert stack.run_name in text and "churn_xgboost" in text
    _scroll_to_text(stack, "Metrics (")
    _screenshot(stack, "mlflow_run.png")


def test_mlflow_run_artifacts_show_the_roc_plot(stack):
    _open(stack, f"{stack.mlflow}/#/experiments/{stack.experiment_id}/runs/{stack.run_id}"
                 "/artifacts/plots/roc.png")
    _wait_for(stack, "artifact tree and roc.png preview",
              lambda t: {"plots", "roc.png", "pr.png", "calibration.png"} <= _lines(t)
              and "plots/roc.png" in _lines(t))
    _close_mlflow_assistant(stack)

    def image_loaded(_text):
        return stack.driver.execute_script(
            "return [...document.images].some(i => i.complete && i.naturalWidth > 200 "
            "&& i.getBoundingClientRect().width > 200)")

    _wait_for(stack, "roc.png rendered", image_loaded)
    _screenshot(stack, "mlflow_run_artifacts.png")


def test_mlflow_registered_model_has_champion_alias(stack):
    _open(stack, f"{stack.mlflow}/#/models/churn_xgboost")
    text = _wait_for(stack, "registered model churn_xgboost",
                     lambda t: t if "churn_xgboost" in t and re.search(r"@\s*champion", t)
                     else "")
    _close_mlflow_assistant(stack)
    assert f"Version {stack.champion_version}" in text
    _screenshot(stack, "mlflow_model.png")


# --- dbt docs -------------------------------------------------------------------------------

def test_dbt_docs_are_generated_and_served(stack):
    port = ui.free_port()
    log = stack.log.with_name("docs.log")
    env = ui.child_env({**os.environ, "CHURN_HOME": str(stack.home),
                        "DAGSTER_HOME": str(stack.home / "dagster")})
    with open(log, "wb") as out:
        docs = ui.start_group([sys.executable, "-m", "orchestration.cli", "docs", "--port",
                               str(port)], env=env, cwd=stack.home.parent, stdout=out,
                              stderr=subprocess.STDOUT)
    try:
        try:
            ui.wait_http(f"http://127.0.0.1:{port}/", timeout=300, procs=[docs])
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"dbt docs did not come up: {exc}\n{log.read_text()[-4000:]}",
                        pytrace=False)
        assert (stack.home / "dbt_docs" / "catalog.json").exists()
        _open(stack, f"http://127.0.0.1:{port}/#!/model/model.churn_recall.customer_snapshots")
        _wait_for(stack, "dbt docs of customer_snapshots",
                  # a column with its warehouse type: catalog.json was built from the warehouse
                  lambda t: "customer_snapshots table" in t
                  and re.search(r"is_churned_label\s*\n\s*[A-Z]+", t))
        time.sleep(1)
        _screenshot(stack, "dbt_docs_customer_snapshots.png")
    finally:
        ui.stop_groups([docs], timeout=10)
    assert f"dbt docs: http://127.0.0.1:{port}" in log.read_text()


# --- shutdown (keep last: it stops the UIs for the tests above) -----------------------------

def test_ui_stops_and_leaves_no_process_behind(stack):
    groups = stack.child_groups()
    assert len(groups) == 3, stack.output()[-3000:]
    started = time.monotonic()
    code = stack.stop()
    took = time.monotonic() - started
    out = stack.output()
    assert code == 0, out[-3000:]
    assert "Stopped." in out
    assert not [g for g in groups if ui.group_alive(g)], "UI processes outlived churn-recall ui"
    for url in (stack.dagster, stack.mlflow):
        with pytest.raises(OSError):
            ui.http_get(f"{url}/", timeout=5)
    print(f"churn-recall ui stopped in {took:.1f}s")
