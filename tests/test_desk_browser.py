"""The ward desk in headless Chromium: log in with the token, see the slot, press "Đã phát" and "Không phát"."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.desk_support import E1, E2, NOW, WARD, desk_env
from tests.publish.test_browser import browser, severe  # noqa: F401 (the fixture)
from worker.dates import from_iso
from worker.server import Running, Settings


def submit(driver: webdriver.Chrome, button: WebElement) -> None:
    """Click a form button and wait for the next page: reading the old page would race the navigation."""
    page = driver.find_element(By.TAG_NAME, "html")
    button.click()
    wait = WebDriverWait(driver, 10)
    wait.until(expected_conditions.staleness_of(page))
    # The old page is gone, but the new one may still be parsing: finding its elements now would race it.
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def test_desk_in_a_real_browser(tmp_path: Path, browser: webdriver.Chrome) -> None:  # noqa: F811
    env = desk_env(tmp_path)
    token = env.token(WARD)
    settings = Settings(env.db, env.outputs.resolve(), ZoneInfo("Asia/Ho_Chi_Minh"), now=lambda: from_iso(NOW))
    env.outputs.mkdir()
    with Running(settings) as url:
        browser.get(f"{url}/ward/{WARD}/")
        # The login page itself is a 401 (no session yet); Chromium logs that, and only that.
        assert all("401 (Unauthorized)" in line for line in severe(browser))
        browser.find_element(By.ID, "token").send_keys(token)
        submit(browser, browser.find_element(By.CSS_SELECTOR, "form.desk-form button"))
        assert browser.current_url == f"{url}/ward/{WARD}/"
        assert browser.find_element(By.TAG_NAME, "h1").text == "Lịch phát thanh"
        slot = browser.find_element(By.ID, "slot-2023-07-10-0600")
        assert "Khung giờ 06:00" in slot.text and "Cảnh báo s1" in slot.text
        assert browser.execute_script("return document.cookie") == ""  # HttpOnly
        first = browser.find_element(By.ID, f"e-{E1}")
        submit(browser, first.find_element(By.XPATH, ".//button[normalize-space()='Đã phát']"))
        assert "Đã phát lúc 08:00" in browser.find_element(By.ID, f"e-{E1}").text
        second = browser.find_element(By.ID, f"e-{E2}")
        second.find_element(By.NAME, "reason").send_keys("Mất điện cả khu")
        submit(browser, second.find_element(By.XPATH, ".//button[normalize-space()='Không phát']"))
        assert "Không phát: Mất điện cả khu" in browser.find_element(By.ID, f"e-{E2}").text
        browser.get(f"{url}/ward/{WARD}/print")
        assert "kịch bản phát thanh" in browser.find_element(By.TAG_NAME, "h1").text
        assert browser.find_element(By.ID, "print").is_displayed()
        assert severe(browser) == []
    entries = env.entries()
    assert (entries[E1]["status"], entries[E1]["aired_at"], entries[E1]["ack_source"]) == (
        "aired",
        "2023-07-10T01:00:00Z",
        "web",
    )
    assert (entries[E2]["status"], entries[E2]["reason"], entries[E2]["acked_by"]) == (
        "skipped",
        "Mất điện cả khu",
        WARD,
    )
