"""The marketing report in a real (headless) browser, served by `churn-recall ui`.

Reuses the session's demo (tests/e2e/conftest.py), copied to a temporary CHURN_HOME, and the
browser helpers of test_ui_browser.py. Only the report server is waited for (its page does not
need Dagster). Screenshots go to `test-artifacts/report/`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.environment import REPO_ROOT
from orchestration.lib import ui_processes as ui
from tests.e2e.browser import browser_paths as _browser_paths
from tests.e2e.browser import chrome as _chrome

pytestmark = pytest.mark.timeout(1800)

ARTIFACTS = REPO_ROOT / "test-artifacts" / "report"
OVERVIEW_SECTIONS = ("headline", "calendar", "roi-trend", "churn-trend", "cohorts", "glossary")
OVERVIEW_CHARTS = ("chart-funnel", "chart-roi-trend", "chart-churn-type", "chart-churn-layer",
                   "chart-cohorts")
CAMPAIGN_SECTIONS = ("summary", "results", "six-months", "winner", "feedback", "next-wave",
                     "glossary")
CAMPAIGN_CHARTS = ("chart-layer", "chart-variant", "chart-channel", "chart-churn-type",
                   "chart-six-months", "chart-feedback")


@pytest.fixture(scope="module")
def report(tmp_path_factory, demo_run):
    chromium, driver_path = _browser_paths()
    base = tmp_path_factory.mktemp("report")
    home = base / "churn"
    shutil.copytree(demo_run[0], home)
    env = ui.child_env({**os.environ, "CHURN_HOME": str(home),
                        "DAGSTER_HOME": str(home / "dagster")})
    ports = {ui.free_port() for _ in range(6)}
    dagster_port, mlflow_port, report_port = sorted(ports)[:3]
    log = base / "ui.log"
    with open(log, "wb") as out:
        proc = ui.start_group(
            [sys.executable, "-m", "orchestration.cli", "ui", "--dagster-port", str(dagster_port),
             "--mlflow-port", str(mlflow_port), "--report-port", str(report_port)],
            env=env, cwd=base, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{report_port}"
    driver = None
    try:
        try:
            ui.wait_http(f"{url}/index.html", timeout=300, procs=[proc])
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"report server did not come up: {exc}\n{log.read_text()[-4000:]}",
                        pytrace=False)
        driver = _chrome(chromium, driver_path, base / "chrome-profile")
        driver.set_window_size(1440, 900)  # a laptop screen
        yield {"url": url, "home": home, "driver": driver, "log": log, "shots": base}
    finally:
        if driver is not None:
            driver.quit()
        groups = [int(g) for g in re.findall(r"(?:dagster|mlflow|report) (\d+)",
                                             log.read_text())]
        ui.stop_groups([proc.pid, *groups], timeout=20)
    assert f"Report:     {url}/index.html" in log.read_text()


def _warehouse(home: Path, sql: str, params=()):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def _load(r, page: str) -> float:
    """Open a page, wait for every Plotly chart to render; seconds until then."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver = r["driver"]
    driver.get_log("browser")  # drop what earlier pages logged
    started = time.perf_counter()
    driver.get(f"{r['url']}/{page}")
    WebDriverWait(driver, 120, poll_frequency=0.2).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && [...document.querySelectorAll("
        "'.plotly-graph-div')].every(g => g.querySelector('.main-svg'))"))
    return time.perf_counter() - started


def _check_page(r, page: str, sections, chart_ids, shot: str) -> dict[str, str]:
    driver = r["driver"]
    took = _load(r, page)
    for sid in sections:
        assert driver.find_elements("css selector", f"section#{sid}"), f"{page}: no {sid}"
    for cid in chart_ids:
        found = driver.find_elements("css selector", f"#{cid}.plotly-graph-div .main-svg")
        assert found, f"{page}: chart {cid} not rendered"
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    resources = driver.execute_script(
        "return [location.href, ...performance.getEntriesByType('resource').map(e => e.name)]")
    external = [u for u in resources if not u.startswith(r["url"])]
    assert not external, external
    path = r["shots"] / shot
    driver.execute_script("document.body.style.zoom='100%'")
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1440, min(height + 100, 8000))
    driver.save_screenshot(str(path))
    driver.set_window_size(1440, 900)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, ARTIFACTS / shot)
    size = (r["home"] / "reports" / page).stat().st_size
    print(f"{page}: {size:,} bytes, rendered in {took:.2f}s, screenshot {shot}")
    return {el.get_attribute("data-metric"): el.text for el in
            driver.find_elements("css selector", "[data-metric]")}


def test_overview_shows_every_section_and_the_marts_figures(report):
    shown = _check_page(report, "index.html", OVERVIEW_SECTIONS, OVERVIEW_CHARTS,
                        "report_overview.png")
    total = _warehouse(report["home"], "select * from marts.recall_report_headlines "
                                       "where campaign_id = 'all'").iloc[0]
    assert shown["headline.all.won_back_count"] == f"{total['won_back_count']:,.1f}"
    assert shown["headline.all.incremental_gmv"] == f"{total['incremental_gmv']:,.2f}"
    assert shown["headline.all.roi"] == f"{total['roi']:.2f}"
    assert shown["headline.all.roi_lower"] == f"{total['roi_lower']:.2f}"
    waves = _warehouse(report["home"], "select campaign_id, sent_count, converted_count from "
                                       "marts.recall_dashboard where channel = 'all'")
    assert len(waves) > 0
    for _, wave in waves.iterrows():
        assert shown[f"dashboard.{wave['campaign_id']}.sent_count"] == f"{wave['sent_count']:,}"
        if wave["converted_count"] == wave["converted_count"]:
            assert (shown[f"dashboard.{wave['campaign_id']}.converted_count"]
                    == f"{int(wave['converted_count']):,}")


def test_campaign_page_shows_results_with_intervals(report):
    cid = _warehouse(report["home"], "select campaign_id from marts.recall_effect_variants "
                                     "where conversion_uplift is not null group by 1 "
                                     "order by count(*) desc, 1 limit 1").iloc[0, 0]
    shown = _check_page(report, f"campaign-{cid}.html", CAMPAIGN_SECTIONS, CAMPAIGN_CHARTS,
                        "report_campaign.png")
    head = _warehouse(report["home"], "select * from marts.recall_report_headlines "
                                      "where campaign_id = ?", [cid]).iloc[0]
    assert shown[f"headline.{cid}.won_back_count"] == f"{head['won_back_count']:,.1f}"
    assert shown[f"headline.{cid}.incremental_gmv_upper"] == f"{head['incremental_gmv_upper']:,.2f}"
    variants = _warehouse(report["home"], "select * from marts.recall_effect_variants "
                                          "where campaign_id = ?", [cid])
    for _, v in variants.iterrows():
        assert (shown[f"variant.{v['variant']}.conversion_uplift"]
                == f"{v['conversion_uplift'] * 100:+.1f} pts")
    verdicts = [td.text for td in report["driver"].find_elements(
        "css selector", "[data-block='variant'] td.win, [data-block='variant'] td.loss, "
                        "[data-block='variant'] td.inconclusive")]
    expected = ["win" if v["conversion_uplift_lower"] > 0 else
                "loss" if v["conversion_uplift_upper"] < 0 else "inconclusive"
                for _, v in variants.iterrows()]
    assert sorted(verdicts) == sorted(expected)


def test_early_warning_rows_equal_the_warehouse_table(report):
    from selenium.webdriver.common.by import By

    _check_page(report, "early-warning.html", ("early-warning", "glossary"), (),
                "report_early_warning.png")
    driver = report["driver"]
    table = _warehouse(report["home"], "select * from marts.recall_early_warning")
    assert len(table) > 0
    rows = driver.find_elements(By.CSS_SELECTOR, "#early-warning-table tbody tr")
    shown = {r.get_attribute("data-customer"): float(
        r.find_element(By.CSS_SELECTOR, "td[data-col='churn_probability']")
        .get_attribute("data-sort")) for r in rows}
    assert shown == pytest.approx(dict(zip(table["customer_id"], table["churn_probability"])))
    stage = table["lifecycle_stage"].mode().iloc[0]
    driver.execute_script("const s=document.getElementById('ew-stage'); s.value=arguments[0];"
                          "s.dispatchEvent(new Event('change'));", stage)
    visible = [r for r in rows if r.is_displayed()]
    assert len(visible) == int((table["lifecycle_stage"] == stage).sum())
    csv = driver.find_element(By.CSS_SELECTOR, "a[data-download='early-warning']")
    status, body = ui.http_get(csv.get_attribute("href"))
    assert status == 200 and body.decode().count("\n") == len(table) + 1
