"""Headless Chromium over the published site on 127.0.0.1: pages render, no console errors, navigation works,
and hostile source HTML never executes. Needs Debian's chromium and chromium-driver (.ci/run installs them).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.publish.test_site import tamper
from tests.publish_support import approve_all, publish_env
from worker.demo.server import StaticServer

HOSTILE_BODY = (
    '<p>Nội dung</p><img src="x" onerror="window.__pwned=1;document.title=\'pwned\'">'
    '<script>window.__pwned=2</script><svg onload="window.__pwned=3"></svg>'
    '<a href="javascript:window.__pwned=4" id="js-link">bấm</a><iframe src="javascript:parent.__pwned=5"></iframe>'
)
DOCS = Path(__file__).resolve().parents[2] / "docs"


def follow(driver: webdriver.Chrome, element: WebElement) -> None:
    """Click a link and wait for the next page: reading the old page would race the navigation."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 10).until(expected_conditions.staleness_of(page))


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    profile = tempfile.mkdtemp(prefix="loa-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1000,1400",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def severe(driver: webdriver.Chrome) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]


def test_site_in_a_real_browser(tmp_path: Path, site: tuple[Path, StaticServer], browser: webdriver.Chrome) -> None:
    env = publish_env(tmp_path, site)
    approve_all(env)
    # Even raw hostile HTML in the approved snapshot (a sanitiser bypass at sync) must not run.
    hostile = tamper(env, "cb-2", body_html=HOSTILE_BODY)
    assert env.run("pack", "build").exit_code == 0
    assert env.run("publish").exit_code == 0
    out = tmp_path / "out"
    # Served from a subpath, as a city portal would: every link must be relative.
    with StaticServer(out) as server:
        base = f"{server.url}/site/"
        browser.get(base + "index.html")
        assert "Cảnh báo lừa đảo – thử nghiệm" in browser.title
        assert severe(browser) == []
        if os.environ.get("LOA_SCREENSHOTS"):
            browser.save_screenshot(str(DOCS / "screenshot-index.png"))
        follow(browser, browser.find_element(By.LINK_TEXT, "Bản tin phòng chống lừa đảo trực tuyến số 1 (3–8/7/2023)"))
        assert browser.current_url == base + "packs/so-1.html"
        assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Bản tin phòng chống lừa đảo trực tuyến số 1")
        assert len(browser.find_elements(By.CSS_SELECTOR, "ol.pack-items > li")) == 5
        assert severe(browser) == []
        follow(browser, browser.find_element(By.CSS_SELECTOR, f'a[href="../items/{hostile}.html"]'))
        assert browser.current_url == base + f"items/{hostile}.html"
        assert browser.execute_script("return window.__pwned === undefined")
        assert browser.title != "pwned"
        assert "Nội dung" in browser.find_element(By.CSS_SELECTOR, ".body").text
        assert browser.find_elements(By.CSS_SELECTOR, ".body script, .body iframe, .body svg, [onerror]") == []
        links = browser.find_elements(By.CSS_SELECTOR, ".body a")
        assert all(not (a.get_attribute("href") or "").startswith("javascript:") for a in links)
        assert severe(browser) == []
        follow(browser, browser.find_element(By.LINK_TEXT, "Chủ đề"))
        assert browser.current_url == base + "topics/index.html"
        follow(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Giả danh cơ quan công an"))
        assert "Cảnh báo thủ đoạn giả danh công an" in browser.find_element(By.TAG_NAME, "main").text
        follow(browser, browser.find_element(By.LINK_TEXT, "Lưu trữ"))
        assert browser.find_element(By.TAG_NAME, "h1").text == "Lưu trữ"
        assert severe(browser) == []
        browser.get(base + "packs/so-1.html")
        if os.environ.get("LOA_SCREENSHOTS"):
            browser.save_screenshot(str(DOCS / "screenshot-pack.png"))
        assert browser.execute_script("return window.__pwned === undefined")
    # Opened as plain files too.
    browser.get((out / "site" / "index.html").as_uri())
    follow(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Bản tin phòng chống"))
    assert browser.current_url.endswith("/site/packs/so-1.html")
    assert (
        browser.execute_script("return getComputedStyle(document.querySelector('.site-header')).backgroundColor")
        == "rgb(11, 79, 138)"
    )
    assert severe(browser) == []
