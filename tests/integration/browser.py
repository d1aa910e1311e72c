"""A real headless Chromium (Debian's `chromium` and `chromium-driver`, installed by `make
test`), driven over WebDriver by selenium. The driver comes from the same Debian source
package as the browser, so their versions always match; nothing is downloaded (the
driver's path is given, and Selenium Manager is told to stay offline).

`open_page` loads a local file and returns what a test checks: the requests the page made
(from Chromium's DevTools performance log), its console errors, and the driver itself.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
LAPTOP = (1366, 900)  # a common laptop screen, CSS pixels


@dataclass
class Page:
    driver: Any
    url: str

    def requests(self) -> list[str]:
        """URLs of every request the browser sent since the page was opened."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def console_errors(self) -> list[dict[str, Any]]:
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def js(self, script: str) -> Any:
        return self.driver.execute_script(script)

    def screenshot(self, dest: Path) -> Path:
        """The whole page, not only the window, as PNG."""
        width, height = self.js(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            },
        )
        dest.write_bytes(base64.b64decode(shot["data"]))
        return dest


@contextmanager
def open_page(path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.fail(
            "chromium and chromedriver are needed (Debian packages chromium and chromium-driver); "
            "`make test` installs them"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # tests may run as root
        "--disable-gpu",
        "--disable-extensions",
        "--no-first-run",
        f"--window-size={LAPTOP[0]},{LAPTOP[1]}",
        # Belt and braces: were the page to ask for anything on the network, the name
        # would not resolve (the request is still logged, and the test fails on it).
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        url = path.resolve().as_uri()
        driver.get(url)
        yield Page(driver, url)
    finally:
        driver.quit()
