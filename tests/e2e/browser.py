"""Headless Chromium for the browser tests (Debian's chromium + chromedriver via selenium)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PAGE_TIMEOUT = 180  # seconds for one page to load (the machine is slow)
INSTALL_HINT = ("the browser UI tests need Debian's Chromium and its driver: "
                "`apt-get install chromium chromium-driver` (as root; `bash scripts/test.sh` does it)")


def browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail(f"chromium={chromium!r} chromedriver={driver!r}: {INSTALL_HINT}",
                    pytrace=False)
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.fail("selenium is missing: `uv sync` (it is a dev dependency)", pytrace=False)
    return chromium, driver


def chrome(chromium: str, driver_path: str, profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--no-default-browser-check", "--window-size=1600,1000",
                f"--user-data-dir={profile}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console, for get_log
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    driver.set_script_timeout(60)
    return driver
