"""The dashboard in a real browser behind a real Airflow API server: sign in through Airflow's
login, every chart drawn, filter, drill down, export to Excel, record a promise, approve a batch;
a screenshot of each page at 1400 px."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import psycopg
import pytest
from browser_users import PASSWORDS
from dashboard_book import PENDING_BATCH

from cartera.run_dates import BOOKS_TZ

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.xdist_group("browser")]
WAIT = 30


def _wait(driver: Any, condition: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition)


def sign_in(driver: Any, airflow_url: str, user: str, start: str = "/cartera/") -> None:
    """Through Airflow's own login page, as a person does."""
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(airflow_url + start)
    _wait(driver, lambda d: "/auth/login" in d.current_url)
    username = _wait(driver, lambda d: d.find_element(By.NAME, "username"))
    username.send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(PASSWORDS[user])
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(driver, lambda d: d.current_url.startswith(airflow_url + start.split("?")[0]))
    _wait(driver, lambda d: d.find_element(By.ID, "username").text == user)


def charts_drawn(driver: Any) -> list[str]:
    """Ids of the charts on the page whose canvas has drawn pixels (waits until all are)."""
    script = """
      return Array.from(document.querySelectorAll('[data-chart]')).map(function (el) {
        var canvas = el.querySelector('canvas');
        if (!canvas || el.getAttribute('data-rendered') !== 'true' || !canvas.width) { return [el.id, 0]; }
        var data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data, ink = 0;
        for (var i = 3; i < data.length; i += 4) { if (data[i] > 0) { ink++; } }
        return [el.id, ink];
      });
    """
    drawn = _wait(
        driver, lambda d: (lambda r: r if r and all(ink > 0 for _, ink in r) else False)(d.execute_script(script))
    )
    return [chart for chart, _ in drawn]


def screenshot(driver: Any, folder: Path, name: str) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, max(900, min(int(height) + 120, 5000)))
    driver.save_screenshot(str(folder / f"{name}.png"))
    driver.set_window_size(1400, 1000)


def no_csp_violations(driver: Any) -> None:
    logs = [entry["message"] for entry in driver.get_log("browser")]
    assert not [m for m in logs if "Content Security Policy" in m or "Refused to" in m], logs


def test_finance_signs_in_with_airflows_login_and_sees_every_chart(
    driver: Any, airflow_url: str, screenshots: Path
) -> None:
    from selenium.webdriver.common.by import By

    sign_in(driver, airflow_url, "finanzas")
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Tablero de finanzas")
    drawn = charts_drawn(driver)
    assert {
        "chart-ar_trend",
        "chart-kpi_trend",
        "chart-aging_history",
        "chart-outcomes_by_channel",
        "chart-recovery",
    } <= set(drawn)
    assert sum(1 for chart in drawn if chart.startswith("chart-spark-")) >= 4
    no_csp_violations(driver)
    screenshot(driver, screenshots, "dashboard")
    driver.find_element(By.ID, "lang-switch").click()
    _wait(driver, lambda d: d.find_element(By.TAG_NAME, "h1").text.startswith("Finance dashboard"))
    charts_drawn(driver)
    screenshot(driver, screenshots, "dashboard-en")
    driver.find_element(By.ID, "lang-switch").click()
    _wait(driver, lambda d: d.find_element(By.TAG_NAME, "h1").text.startswith("Tablero"))


def test_finance_filters_by_currency_dates_and_country(driver: Any, airflow_url: str, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    sign_in(driver, airflow_url, "finanzas")
    form = driver.find_element(By.ID, "filters")
    Select(form.find_element(By.NAME, "currency")).select_by_value("USD")
    driver.execute_script("arguments[0].value = '2026-08-01'", form.find_element(By.NAME, "from"))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(driver, lambda d: "currency=USD" in d.current_url and "from=2026-08-01" in d.current_url)
    assert "(USD)" in driver.find_element(By.CSS_SELECTOR, "#chart-aging_history").find_element(By.XPATH, "..").text
    charts_drawn(driver)
    export = driver.find_element(By.CSS_SELECTOR, "a[data-export=aging_history]").get_attribute("href")
    assert "currency=USD" in export and "from=2026-08-01" in export
    # A country: the bar offers those of the customers; the choice follows to the worklist and its drill-down.
    form = driver.find_element(By.ID, "filters")
    Select(form.find_element(By.NAME, "currency")).select_by_value("")
    Select(form.find_element(By.NAME, "country")).select_by_visible_text("US · Estados Unidos")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(driver, lambda d: "country=US" in d.current_url)
    assert driver.find_element(By.ID, "scoped-note")
    assert driver.find_element(By.ID, "not-filtered-cash_forecast")  # the book's forecast is not shown as theirs
    assert {"chart-ar_trend", "chart-aging_history"} <= set(charts_drawn(driver))
    no_csp_violations(driver)
    screenshot(driver, screenshots, "dashboard-country")
    driver.find_element(By.CSS_SELECTOR, "header nav a[href*='/worklist']").click()
    _wait(driver, lambda d: "/cartera/worklist" in d.current_url and "country=US" in d.current_url)
    assert Select(driver.find_element(By.ID, "filter-country")).first_selected_option.get_attribute("value") == "US"
    customers = driver.find_elements(By.CSS_SELECTOR, "#table-worklist tbody tr td:first-child a")
    assert [c.text for c in customers] == ["C08"]  # the one US customer with overdue invoices
    customers[0].click()
    _wait(driver, lambda d: "/cartera/customers/C08" in d.current_url and "country=US" in d.current_url)
    export = driver.find_element(By.CSS_SELECTOR, "a[data-export=customer_invoices]").get_attribute("href")
    assert "country=US" in export


def test_any_table_downloads_as_xlsx_in_the_signed_in_session(driver: Any, airflow_url: str) -> None:
    from selenium.webdriver.common.by import By

    sign_in(driver, airflow_url, "finanzas", start="/cartera/worklist")
    href = driver.find_element(By.CSS_SELECTOR, "a[data-export=worklist]").get_attribute("href")
    status, kind, size, magic = driver.execute_async_script(
        """
        var done = arguments[arguments.length - 1];
        fetch(arguments[0], {credentials: 'same-origin'}).then(function (r) {
          return r.arrayBuffer().then(function (b) {
            var head = new Uint8Array(b.slice(0, 2));
            done([r.status, r.headers.get('content-type'), b.byteLength, String.fromCharCode(head[0], head[1])]);
          });
        });
        """,
        href,
    )
    assert status == 200 and kind.startswith("application/vnd.openxmlformats") and size > 4000 and magic == "PK"


def test_drill_down_from_the_worklist_to_a_customer_an_invoice_and_its_decisions(
    driver: Any, airflow_url: str, screenshots: Path
) -> None:
    from selenium.webdriver.common.by import By

    sign_in(driver, airflow_url, "cobranza", start="/cartera/worklist")
    screenshot(driver, screenshots, "worklist")
    first = driver.find_element(By.CSS_SELECTOR, "#table-worklist tbody tr td a")
    customer = first.text
    first.click()
    _wait(driver, lambda d: d.current_url.endswith(f"/cartera/customers/{customer}"))
    assert driver.find_element(By.ID, "table-customer_decisions").find_elements(By.CSS_SELECTOR, "tbody tr")
    screenshot(driver, screenshots, "customer")
    overdue = driver.find_element(By.CSS_SELECTOR, "#table-customer_invoices tbody tr td a")
    invoice = overdue.text
    overdue.click()
    _wait(driver, lambda d: d.current_url.endswith(f"/cartera/invoices/{invoice}"))
    assert driver.find_element(By.ID, "table-invoice_messages")
    assert driver.find_element(By.ID, "table-invoice_decisions")
    screenshot(driver, screenshots, "invoice")
    driver.get(airflow_url + "/cartera/worklist?q=maya")
    assert driver.find_element(By.ID, "table-search").find_element(By.LINK_TEXT, "C03")


def test_a_collector_records_a_promise(driver: Any, airflow_url: str, browser_book: str) -> None:
    from selenium.webdriver.common.by import By

    sign_in(driver, airflow_url, "cobranza", start="/cartera/customers/C10")
    promised = dt.datetime.now(BOOKS_TZ).date() + dt.timedelta(days=7)
    form = driver.find_element(By.ID, "form-promise")
    driver.execute_script(
        "arguments[0].value = arguments[1]", form.find_element(By.NAME, "promised_date"), promised.isoformat()
    )
    form.find_element(By.NAME, "note").send_keys("promete transferencia")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(driver, lambda d: "ok=promise" in d.current_url)
    assert driver.find_element(By.ID, "flash-ok")
    assert "promise_to_pay" in driver.find_element(By.ID, "table-customer_holds").text
    with psycopg.connect(browser_book) as conn:
        row = conn.execute(
            "select recorded_by, promised_date from ops.collector_activity where customer_id = 'C10' and kind = 'promise'"
        ).fetchone()
    assert row == ("cobranza", promised)


def test_an_admin_approves_the_waiting_batch(
    driver: Any, airflow_url: str, browser_book: str, screenshots: Path
) -> None:
    from selenium.webdriver.common.by import By

    sign_in(driver, airflow_url, "admin", start="/cartera/batches")
    screenshot(driver, screenshots, "batches")
    driver.find_element(By.LINK_TEXT, PENDING_BATCH).click()
    _wait(driver, lambda d: d.find_element(By.ID, "batch-status").text == "pending")
    assert driver.find_elements(By.CSS_SELECTOR, "article.sample")
    screenshot(driver, screenshots, "batch")
    driver.find_element(By.NAME, "note").send_keys("revisado en el navegador")
    driver.find_element(By.ID, "approve").click()
    _wait(driver, lambda d: d.find_element(By.ID, "batch-status").text == "approved")
    with psycopg.connect(browser_book) as conn:
        assert conn.execute(
            "select status, decided_by from ops.batch_approvals where batch_id = %s", (PENDING_BATCH,)
        ).fetchone() == ("approved", "admin")


def test_health_page_draws_auc_and_quarantine_and_a_collector_dismisses_an_alert(
    driver: Any, airflow_url: str, screenshots: Path
) -> None:
    from selenium.webdriver.common.by import By

    sign_in(driver, airflow_url, "cobranza", start="/cartera/health")
    assert {"chart-model_auc", "chart-quarantine"} <= set(charts_drawn(driver))
    screenshot(driver, screenshots, "health")
    driver.find_element(By.CSS_SELECTOR, "button.dismiss-alert").click()
    _wait(driver, lambda d: "ok=dismissed" in d.current_url)
    no_csp_violations(driver)
