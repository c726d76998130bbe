"""Browser tests: a real Airflow API server (its metadata in a scratch Postgres database, the
cartera plugin loaded from plugins/, SimpleAuthManager with one user per role and known
passwords) serving the dashboard book, driven by Debian's headless Chromium through Selenium.

Chromium and its driver come from Debian's packages (`make browser-deps`: apt-get install
chromium chromium-driver); nothing is downloaded. With CARTERA_SCREENSHOTS=1 (`make
test-browser`) each page's screenshot at 1400 px goes to docs/screenshots/."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cartera.config import REPO_ROOT
from cartera.db import dsn_url, scratch_database, sqlalchemy_url

sys.path.insert(0, str(REPO_ROOT / "tests" / "integration" / "dashboard"))
from browser_users import PASSWORDS, USERS  # noqa: E402
from dashboard_book import build  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
    "--lang=es-MX",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def browser_book(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with scratch_database(pg_server_dsn, "cartera_browser") as dsn:
        build(dsn, tmp_path_factory.mktemp("browser_dbt"))
        yield dsn


@pytest.fixture(scope="session")
def airflow_url(browser_book: str, pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Airflow's API server with the cartera plugin, on a free port of 127.0.0.1."""
    home = tmp_path_factory.mktemp("airflow_home")
    (home / "dags").mkdir()
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps(PASSWORDS))
    with scratch_database(pg_server_dsn, "airflow_browser", with_tables=False) as metadata:
        env = {
            **os.environ,
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url(dsn_url(metadata)),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": USERS,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API_AUTH__JWT_SECRET": os.urandom(48).hex(),
            "CARTERA_DATABASE_URL": browser_book,
            "NO_PROXY": "*",
        }
        airflow = str(Path(sys.executable).parent / "airflow")
        log = home / "api-server.log"
        subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
        port = _free_port()
        with log.open("wb") as out:
            server = subprocess.Popen(
                [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the API server did not start; see {log}")
                time.sleep(1)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


@pytest.fixture(scope="session")
def driver() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), "run `make browser-deps` (Debian's chromium, chromium-driver)"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(
        service=Service(executable_path=str(CHROMEDRIVER), env={**os.environ, "TZ": "America/Mexico_City"}),
        options=options,
    )
    browser.set_page_load_timeout(60)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("CARTERA_SCREENSHOTS") == "1":
        folder = REPO_ROOT / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")
