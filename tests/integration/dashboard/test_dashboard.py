"""The web app on a real warehouse: signed-in only, roles, CSRF, security headers, figures as
numbers, exports, drill-down, collector actions through the CLI's functions, batch approval."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from dashboard_auth import SECRET, airflow_token
from dashboard_book import AS_OF, PENDING_BATCH
from fastapi.routing import APIRoute
from openpyxl import load_workbook

from cartera.dashboard.app import create_app
from cartera.dashboard.auth import SharedSecretAuthenticator, csrf_token_for
from cartera.dashboard.security import CSP
from cartera.run_dates import BOOKS_TZ

pytestmark = pytest.mark.integration
Client = Callable[..., Any]
SAMPLE_VALUES = {
    "key": "worklist",
    "path": "dashboard.js",
    "customer_id": "C03",
    "invoice_id": "INV0001",
    "batch_id": PENDING_BATCH,
    "alert_id": "1",
}


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert match, "the page carries the session's CSRF token"
    return match.group(1)


def _paths(app: Any) -> list[tuple[str, str]]:
    out = []
    for route in app.routes:
        assert isinstance(route, APIRoute), f"{route!r}: every route is an API route behind the sign-in"
        path = route.path
        for name in re.findall(r"{(\w+)(?::\w+)?}", path):
            path = re.sub(r"{" + name + r"(?::\w+)?}", SAMPLE_VALUES[name], path)
        out.extend((method, path) for method in sorted(route.methods))
    return out


def test_every_route_refuses_without_credentials_pages_redirect_to_airflows_login(fresh_db: str) -> None:
    app = create_app(lambda: fresh_db, auth=SharedSecretAuthenticator(SECRET, "/auth/login"))
    routes = _paths(app)
    assert len(routes) >= 15 and ("POST", "/customers/C03/collector") in routes
    from fastapi.testclient import TestClient

    anonymous = TestClient(app)
    forged = TestClient(app)
    forged.cookies.set("_token", airflow_token("eve", "admin", secret="another-secret-" + "f" * 64))
    expired = TestClient(app)
    expired.cookies.set("_token", airflow_token("ana", "admin", valid_for=-60))
    for client in (anonymous, forged, expired):
        for method, path in routes:
            answer = client.request(method, path, follow_redirects=False)
            is_page = method == "GET" and not path.startswith(("/api/", "/export/", "/static/"))
            if is_page:
                assert answer.status_code == 303, (method, path, answer.status_code)
                assert answer.headers["location"].startswith("/auth/login?next=")
            else:
                assert answer.status_code == 401, (method, path, answer.status_code)
            assert answer.headers["content-security-policy"] == CSP
    # FastAPI's own documentation routes would sit outside the sign-in: they are not served.
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert anonymous.get(path).status_code == 404


def test_a_token_without_a_known_role_is_forbidden_and_the_login_link_returns_to_the_page(
    fresh_db: str, client_for: Client
) -> None:
    assert (
        client_for(fresh_db, role=None).get("/worklist?segment=chronic", follow_redirects=False).headers["location"]
        == "/auth/login?next=%2Fworklist%3Fsegment%3Dchronic"
    )
    assert client_for(fresh_db, role="nobody").get("/").status_code == 403


def test_roles_finance_reads_collector_acts_admin_approves(book: str, client_for: Client) -> None:
    finance, collector, admin = (client_for(book, role) for role in ("viewer", "user", "admin"))
    assert finance.get("/").status_code == 200
    page = finance.get("/customers/C03")
    assert page.status_code == 200 and 'id="form-promise"' not in page.text
    token = csrf_token_for(finance.cookies["_token"])  # a valid token: the role alone refuses
    assert (
        finance.post(
            "/customers/C03/actions",
            data={"action": "note", "note": "hola", "csrf_token": token},
            headers={"origin": "http://testserver"},
        ).status_code
        == 403
    )
    assert finance.get("/batches").status_code == 403
    assert collector.get("/batches").status_code == 403
    assert 'id="form-promise"' in collector.get("/customers/C03").text
    assert admin.get("/batches").status_code == 200
    assert client_for(book, "op").get("/api/me").json() == {"username": "ana", "role": "collector"}


def test_an_action_needs_the_sessions_csrf_token_and_our_own_origin(book: str, client_for: Client) -> None:
    collector = client_for(book, "user", username="beto")
    token = _csrf(collector.get("/customers/C03").text)
    form = {"action": "note", "note": "llamar el lunes"}
    same = {"origin": "http://testserver"}
    assert collector.post("/customers/C03/actions", data=form, headers=same).status_code == 403
    wrong = {**form, "csrf_token": "0" * 64}
    assert collector.post("/customers/C03/actions", data=wrong, headers=same).status_code == 403
    other_session = client_for(book, "user", username="carla")
    stolen = {**form, "csrf_token": _csrf(other_session.get("/customers/C03").text)}
    assert collector.post("/customers/C03/actions", data=stolen, headers=same).status_code == 403
    good = {**form, "csrf_token": token}
    assert (
        collector.post("/customers/C03/actions", data=good, headers={"origin": "http://evil.example"}).status_code
        == 403
    )
    assert collector.post("/customers/C03/actions", data=good).status_code == 403  # no origin nor referer
    answer = collector.post("/customers/C03/actions", data=good, headers=same, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/customers/C03?ok=note"
    with psycopg.connect(book) as conn:
        assert conn.execute(
            "select recorded_by, kind, note from ops.collector_activity where customer_id = 'C03' and kind = 'note'"
        ).fetchall() == [("beto", "note", "llamar el lunes")]


def test_pages_carry_the_security_headers(book: str, client_for: Client) -> None:
    answer = client_for(book).get("/")
    assert answer.headers["content-security-policy"] == CSP
    assert "script-src 'self';" in CSP and "unsafe-inline" not in CSP
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert "<script>" not in answer.text  # only src= scripts and JSON data blocks


def test_the_finance_page_is_spanish_with_es_mx_figures_and_switches_to_english(book: str, client_for: Client) -> None:
    client = client_for(book, "viewer")
    page = client.get("/").text
    assert "Tablero de finanzas" in page and 'lang="es-MX"' in page
    assert re.search(r"\$\d{1,3}(,\d{3})+\.\d{2}", page), "money with thousands separators and cents"
    with psycopg.connect(book) as conn:
        last_day = conn.execute("select max(kpi_date) from marts.fct_ar_kpi_daily").fetchone()[0]
    assert f"<small>al {last_day.day} nov" in page, "the tiles say the last day with data, in Spanish"
    for chart in ("ar_trend", "kpi_trend", "aging_history", "outcomes_by_channel", "recovery"):
        assert f'id="chart-data-{chart}"' in page, chart
    english = client.get("/?lang=en")
    assert "Finance dashboard" in english.text and english.cookies.get("cartera_lang") == "en"
    assert "Finance dashboard" in client.get("/").text  # the choice is remembered


def test_the_json_api_gives_numbers_as_numbers_and_filters_by_currency(book: str, client_for: Client) -> None:
    client = client_for(book, "viewer")
    kpis = client.get("/api/data/kpi_history").json()
    assert kpis["rows"], "the KPI mart's history"
    last = kpis["rows"][-1]
    assert AS_OF - dt.timedelta(days=3) <= dt.date.fromisoformat(last["day"]) <= AS_OF
    assert isinstance(last["total_ar_mxn"], int | float) and isinstance(last["dso_countback"], int | float | None)
    assert (dt.date.fromisoformat(kpis["rows"][-1]["day"]) - dt.date.fromisoformat(kpis["rows"][0]["day"])).days > 200
    usd = client.get("/api/data/aging_latest?currency=USD").json()
    mxn_all = client.get("/api/data/aging_latest").json()
    assert usd["currency"] == "USD" and mxn_all["currency"] == "MXN"
    usd_total = sum(v for k, v in usd["rows"][0].items() if k != "day" and v)
    all_total = sum(v for k, v in mxn_all["rows"][0].items() if k != "day" and v)
    assert 0 < usd_total * 17 < all_total  # USD figures in dollars, the whole book in pesos
    weeks = client.get("/api/data/aging_history?from=2026-09-01&to=2026-11-24").json()["rows"]
    assert len(weeks) == 13 and (weeks[0]["day"], weeks[-1]["day"]) == ("2026-09-01", "2026-11-24")
    channels = client.get("/api/data/outcomes_by_channel").json()["rows"]
    assert {r["channel"] for r in channels} == {"email", "sms", "whatsapp"}
    assert sum(r["messages_bounced"] or 0 for r in channels if r["channel"] == "sms") > 0
    forecast = client.get("/api/data/cash_forecast").json()["rows"]
    assert len(forecast) == 13  # thirteen weeks from the as-of date
    cumulative = [r["cumulative"] for r in forecast]
    assert cumulative == sorted(cumulative) and all(r["cumulative_low"] <= r["cumulative_high"] for r in forecast)
    usd_forecast = client.get("/api/data/cash_forecast?currency=USD").json()["rows"]
    assert 0 < sum(r["expected"] for r in usd_forecast) * 17 < sum(r["expected"] for r in forecast)
    assert client.get("/api/data/nope").status_code == 404


def test_a_kpi_column_the_warehouse_does_not_have_yet_is_named_as_missing(book: str, client_for: Client) -> None:
    notes = client_for(book, "viewer").get("/api/data/kpi_history").json()["notes"]
    page = client_for(book, "viewer").get("/").text
    with psycopg.connect(book) as conn:
        columns = {r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = 'fct_ar_kpi_daily'").fetchall()}  # fmt: skip
    for key in ("dso_simple", "best_possible_dso"):
        assert (f"missing:{key}" in notes) == (key not in columns)
        if key not in columns:
            assert f'id="tile-{key}"' in page and "aún no existe" in page


def test_any_table_exports_to_xlsx_with_numbers_and_dates(book: str, client_for: Client) -> None:
    answer = client_for(book, "viewer").get("/export/worklist.xlsx?segment=chronic")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[0] == "Cliente"
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] and str(r[0]).startswith("C")]
    assert rows and all(r[2] == "chronic" for r in rows)
    amount = rows[0][header.index("Monto vencido / overdue amount")]
    assert isinstance(amount, float) and amount > 0


def test_the_worklist_orders_by_expected_recovery_with_reasons_and_next_contact(book: str, client_for: Client) -> None:
    rows = client_for(book, "user").get("/api/data/worklist").json()["rows"]
    assert rows
    recovery = [r["expected_recovery"] for r in rows]
    assert recovery == sorted(recovery, reverse=True)
    first = rows[0]
    assert first["reasons"].startswith("segmento ") and "días vencida" in first["reasons"]
    assert any(r["last_contact_at"] for r in rows)
    assert any(r["next_allowed_at"] for r in rows), "a deferred customer shows when it may be contacted again"


def test_search_finds_by_name_rfc_and_the_folio_the_customer_sees(book: str, client_for: Client) -> None:
    client = client_for(book, "user")

    def found(q: str) -> list[str]:
        return [r["customer_id"] for r in client.get("/api/data/search", params={"q": q}).json()["rows"]]

    assert found("maya") == ["C03"]
    assert found("dma030303ef3") == ["C03"]
    with psycopg.connect(book) as conn:
        folio, owner = conn.execute("select invoice_number, customer_id from marts.fct_invoices limit 1").fetchone()
    assert found(folio.lower()) == [owner]
    assert found("nadie se llama así") == []
    assert "Sin resultados" in client.get("/worklist", params={"q": "zzz"}).text


def test_drill_down_customer_to_invoices_to_messages_to_decisions_with_reasons(book: str, client_for: Client) -> None:
    client = client_for(book, "viewer")
    page = client.get("/customers/C03").text
    assert "Distribuidora Maya" in page and "segmento chronic" in page
    assert re.search(r'href="/invoices/INV\d+"', page)
    decisions = client.get("/api/data/customer_decisions?customer=C03").json()["rows"]
    assert decisions and {d["reason"] for d in decisions} <= {"permitido", "fuera del horario permitido"}
    english = client.get("/api/data/customer_decisions?customer=C03&lang=en").json()["rows"]
    assert {d["reason"] for d in english} <= {"allowed", "outside the allowed hours"}
    messages = client.get("/api/data/customer_messages?customer=C03").json()["rows"]
    assert messages
    named = next(
        i
        for i in client.get("/api/data/customer_invoices?customer=C03").json()["rows"]
        if (i["days_past_due"] or 0) > 0
    )
    invoice_page = client.get(f"/invoices/{named['invoice_id']}").text
    assert "Mensajes" in invoice_page and "Decisiones de contacto" in invoice_page
    assert client.get(f"/api/data/invoice_messages?invoice={named['invoice_id']}").json()["rows"]
    assert client.get(f"/api/data/invoice_decisions?invoice={named['invoice_id']}").json()["rows"]
    assert client.get("/customers/NOPE").status_code == 404


def test_a_promise_from_the_workspace_writes_what_the_cli_writes(book: str, client_for: Client) -> None:
    collector = client_for(book, "user", username="dora")
    token = _csrf(collector.get("/customers/C05").text)
    promised = dt.datetime.now(BOOKS_TZ).date() + dt.timedelta(days=5)
    with psycopg.connect(book) as conn:
        folio = conn.execute(
            "select invoice_number from marts.fct_open_items where customer_id = 'C05' order by invoice_id limit 1"
        ).fetchone()[0]
    answer = collector.post(
        "/customers/C05/actions",
        data={"action": "promise", "promised_date": promised.isoformat(), "invoice": folio, "csrf_token": token},
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/customers/C05?ok=promise"
    with psycopg.connect(book) as conn:
        hold = conn.execute(
            "select h.reason, h.until, h.invoice_id, i.invoice_number from ops.holds h "
            "join marts.fct_invoices i using (invoice_id) where h.customer_id = 'C05' and h.reason = 'promise_to_pay'"
        ).fetchone()
        log = conn.execute(
            "select recorded_by, kind, promised_date from ops.collector_activity where customer_id = 'C05'"
        ).fetchall()
    assert hold[0] == "promise_to_pay" and hold[3] == folio
    assert hold[1] == dt.datetime.combine(promised + dt.timedelta(days=1), dt.time(0), tzinfo=BOOKS_TZ)
    assert log == [("dora", "promise", promised)]
    refused = collector.post(
        "/customers/C05/actions",
        data={"action": "promise", "promised_date": "2020-01-01", "csrf_token": token},
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert "error=" in refused.headers["location"]
    personal = collector.post(
        "/customers/C05/actions",
        data={"action": "note", "note": "escribir a ana@example.com", "csrf_token": token},
        headers={"origin": "http://testserver"},
    )
    assert "personal data" in personal.text


def test_collector_calls_disputes_holds_and_opt_outs_land_in_the_policys_tables(book: str, client_for: Client) -> None:
    collector = client_for(book, "user", username="eli")
    token = _csrf(collector.get("/customers/C08").text)

    def act(**form: str) -> str:
        answer = collector.post(
            "/customers/C08/actions",
            data={**form, "csrf_token": token},
            headers={"origin": "http://testserver"},
            follow_redirects=False,
        )
        return str(answer.headers["location"])

    assert act(action="call", outcome="no_answer").endswith("ok=call")
    assert act(action="dispute_open", note="precio distinto").endswith("ok=dispute_open")
    assert act(action="dispute_close").endswith("ok=dispute_close")
    assert "error=" in act(action="dispute_close")  # nothing left to close
    assert act(action="hold", reason="legal").endswith("ok=hold")
    assert act(action="opt_out", channel="whatsapp").endswith("ok=opt_out")
    with psycopg.connect(book) as conn:
        holds = conn.execute(
            "select reason, released_at is not null from ops.holds where customer_id = 'C08' order by hold_id"
        ).fetchall()
        opt_outs = conn.execute("select channel, source from ops.opt_outs where customer_id = 'C08'").fetchall()
        kinds = [r[0] for r in conn.execute(
            "select kind from ops.collector_activity where customer_id = 'C08' order by activity_id").fetchall()]  # fmt: skip
    assert holds == [("dispute", True), ("legal", False)]
    assert ("whatsapp", "call") in opt_outs
    assert kinds == ["call", "dispute_opened", "dispute_closed", "hold", "opt_out"]


def test_alerts_are_confirmed_or_dismissed_by_name(book: str, client_for: Client) -> None:
    collector = client_for(book, "user", username="fer")
    page = collector.get("/health").text
    assert "amount_spike" in page and 'id="chart-data-model_auc"' in page and 'id="chart-data-quarantine"' in page
    token = _csrf(page)
    with psycopg.connect(book) as conn:
        alert_id = conn.execute("select alert_id from ops.alerts where kind = 'amount_spike'").fetchone()[0]
    answer = collector.post(
        f"/alerts/{alert_id}",
        data={"status": "dismissed", "csrf_token": token},
        headers={"origin": "http://testserver"},
    )
    assert answer.status_code == 200
    with psycopg.connect(book) as conn:
        assert conn.execute(
            "select status, decided_by from ops.alerts where alert_id = %s", (alert_id,)
        ).fetchone() == (
            "dismissed",
            "fer",
        )
    assert "amount_spike" not in collector.get("/health").text


def test_an_admin_sees_the_preview_and_approves_the_batch_audited(book: str, client_for: Client) -> None:
    admin = client_for(book, "admin", username="gina")
    listing = admin.get("/batches").text
    assert PENDING_BATCH in listing and "pending" in listing
    page = admin.get(f"/batches/{PENDING_BATCH}").text
    assert "first batch of playbook v2" in page
    for block in ("preview-by_step", "preview-by_channel", "preview-by_segment"):
        assert f'id="{block}"' in page
    assert page.count('class="sample"') >= 1
    token = _csrf(page)
    answer = admin.post(
        f"/batches/{PENDING_BATCH}",
        data={"decision": "approved", "note": "revisado", "csrf_token": token},
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == f"/batches/{PENDING_BATCH}?ok=approved"
    with psycopg.connect(book) as conn:
        row = conn.execute(
            "select status, decided_by, decided_at is not null, note from ops.batch_approvals where batch_id = %s",
            (PENDING_BATCH,),
        ).fetchone()
    assert row == ("approved", "gina", True, "revisado")
    again = admin.post(
        f"/batches/{PENDING_BATCH}",
        data={"decision": "rejected", "csrf_token": token},
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert "not+waiting" in again.headers["location"]


def test_the_app_with_nothing_built_yet_shows_empty_pages_not_errors(fresh_db: str, client_for: Client) -> None:
    client = client_for(fresh_db, "admin")
    for path in ("/", "/health", "/worklist", "/worklist?q=x", "/batches"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "Sin datos todavía" in answer.text or "Sin resultados" in answer.text
