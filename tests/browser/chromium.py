"""Start Debian's Chromium headless under selenium, with no network side traffic.

Uses /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium
chromium-driver); never downloads a browser. `available()` says why not when
it cannot run; the tests skip on that outside CI and fail in CI.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

CHROMIUM_NAMES = ("chromium", "chromium-browser")
DRIVER_NAMES = ("chromedriver",)
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=1280,900")


def _which(names) -> str | None:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    return None


def chromium_path() -> str | None:
    return os.environ.get("CONTRACT_RULES_CHROMIUM") or _which(CHROMIUM_NAMES)


def driver_path() -> str | None:
    return os.environ.get("CONTRACT_RULES_CHROMEDRIVER") or _which(DRIVER_NAMES)


def available() -> str | None:
    """None when the browser tests can run, else the reason they cannot."""
    if chromium_path() is None:
        return "chromium is not installed (apt-get install chromium chromium-driver)"
    if driver_path() is None:
        return "chromedriver is not installed (apt-get install chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[test]')"
    return None


@contextmanager
def browser() -> Iterator:
    """A headless Chromium WebDriver with a throw-away profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="contract-rules-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium_path()
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(driver_path()), options=options)
    try:
        driver.set_page_load_timeout(20)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def full_page_screenshot(driver, path: Path, width: int = 1280) -> Path:
    """A screenshot of the whole page (the window is resized to the page's height)."""
    height = driver.execute_script("return Math.max(document.body.scrollHeight, "
                                   "document.documentElement.scrollHeight)")
    driver.set_window_size(width, min(int(height) + 100, 12000))
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(path))
    return path
