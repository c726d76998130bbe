"""The country and collector filters on a real warehouse: every finance table and the worklist
count exactly the chosen customers (the parts add up to the book, to the cent), a figure the
warehouse keeps only for the whole book says so instead of showing it unfiltered, invalid values
are dropped, a collector's worklist opens on their portfolio, and the choice follows links,
drill-down, exports and actions. Portfolios are set by an admin on the page or with the CLI."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from dashboard_book import COUNTRIES, CUSTOMERS, PORTFOLIOS
from openpyxl import load_workbook
from typer.testing import CliRunner

from cartera.cli import app

pytestmark = pytest.mark.integration
Client = Callable[..., Any]
US = set(COUNTRIES)
MX = set(CUSTOMERS) - US
SAME_ORIGIN = {"origin": "http://testserver"}


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def _rows(client: Any, key: str, **params: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/data/{key}", params=params)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["rows"])


def _overdue_customers(book: str, customers: set[str]) -> set[str]:
    with psycopg.connect(book) as conn:
        rows = conn.execute(
            "select distinct customer_id from marts.fct_open_items where days_past_due > 0 "
            "and as_of_date = (select max(as_of_date) from marts.fct_open_items) and customer_id = any(%s)",
            (sorted(customers),),
        ).fetchall()
    return {r[0] for r in rows}


def _partition_sums(parts: list[list[dict[str, Any]]], key: tuple[str, ...], values: tuple[str, ...]) -> dict:
    out: dict[tuple[Any, ...], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * len(values))
    for rows in parts:
        for row in rows:
            sums = out[tuple(row[k] for k in key)]
            for i, v in enumerate(values):
                sums[i] += _dec(row[v])
    return dict(out)


def test_a_country_filter_counts_exactly_that_countrys_customers(book: str, client_for: Client) -> None:
    client = client_for(book, "viewer")
    worklist = {r["customer_id"] for r in _rows(client, "worklist", country="US")}
    assert worklist == _overdue_customers(book, US) and worklist, "C04 and C09, those with overdue invoices"
    with psycopg.connect(book) as conn:
        buckets = dict(
            conn.execute(
                "select aging_bucket, sum(open_amount_mxn) from marts.fct_open_items "
                "where as_of_date = (select max(as_of_date) from marts.fct_open_items) and customer_id = any(%s) "
                "group by 1",
                (sorted(US),),
            ).fetchall()
        )
        messages = dict(
            conn.execute(
                "select date_trunc('week', sent_date)::date::text, count(*) from marts.fct_message_outcomes "
                "where customer_id = any(%s) group by 1",
                (sorted(US),),
            ).fetchall()
        )
    (aging,) = _rows(client, "aging_latest", country="US")
    assert {b: _dec(aging[b]) for b in buckets} == buckets and sum(buckets.values()) > 0
    recovery = _rows(client, "recovery", country="US")
    assert {r["week_start"]: r["messages"] for r in recovery} == messages and messages
    # The two countries add up to the book, to the cent and the message.
    assert _partition_sums(
        [_rows(client, "aging_history", country=c) for c in ("MX", "US")], ("day",), ("current", "1-30", "91+")
    ) == _partition_sums([_rows(client, "aging_history")], ("day",), ("current", "1-30", "91+"))
    outcome_values = ("messages_sent", "messages_bounced", "messages_opted_out", "paid_after_contact_mxn")
    whole = _partition_sums([_rows(client, "outcomes_by_channel")], ("week_start", "channel"), outcome_values)
    assert (
        whole
        and _partition_sums(
            [_rows(client, "outcomes_by_channel", country=c) for c in ("MX", "US")],
            ("week_start", "channel"),
            outcome_values,
        )
        == whole
    )
    us_sent = sum(r["messages_sent"] for r in _rows(client, "outcomes_by_channel", country="US"))
    assert us_sent == sum(messages.values())


def test_the_kpis_under_a_filter_are_the_chosen_customers_and_add_up_to_the_mart(book: str, client_for: Client) -> None:
    client = client_for(book, "viewer")
    answer = client.get("/api/data/kpi_history", params={"country": "US"}).json()
    assert "not_filtered:dso_countback" in answer["notes"] and "not_filtered:cei" in answer["notes"]
    assert {c["key"] for c in answer["columns"]} == {
        "day", "total_ar_mxn", "overdue_ar_mxn", "pct_current", "avg_days_past_due_overdue", "open_invoices"
    }  # fmt: skip
    parts = [answer["rows"], _rows(client, "kpi_history", country="MX")]
    summed = _partition_sums(parts, ("day",), ("total_ar_mxn", "overdue_ar_mxn", "open_invoices"))
    with psycopg.connect(book) as conn:
        mart = {
            d.isoformat(): [total, overdue, Decimal(n)]
            for d, total, overdue, n in conn.execute(
                "select kpi_date, total_ar_mxn, overdue_ar_mxn, open_invoices from marts.fct_ar_kpi_daily"
            ).fetchall()
        }
    shared = sorted({day for (day,) in summed} & set(mart))
    assert len(shared) >= 40, "weekly points over the mart's history"
    assert {day: mart[day] for day in shared} == {day: summed[(day,)] for day in shared}
    us_total = _dec(answer["rows"][-1]["total_ar_mxn"])
    assert 0 < us_total < mart[answer["rows"][-1]["day"]][0]
    forecast = client.get("/api/data/cash_forecast", params={"country": "US"}).json()
    assert forecast["rows"] == [] and forecast["notes"] == ["not_filtered:cash_forecast"]
    page = client.get("/", params={"country": "US"}).text
    assert 'id="tile-dso_countback"' in page and page.count('class="note not-filtered"') >= 5
    assert 'id="not-filtered-cash_forecast"' in page and 'id="not-filtered-kpi_trend"' in page
    assert 'id="scoped-note"' in page and 'id="scoped-note"' not in client.get("/").text


def test_a_collector_filter_counts_exactly_their_portfolio(book: str, client_for: Client) -> None:
    client = client_for(book, "viewer")
    lupita = {r["customer_id"] for r in _rows(client, "worklist", collector="lupita")}
    assert lupita == _overdue_customers(book, set(PORTFOLIOS["lupita"])) and lupita
    assert all(r["collector"] == "lupita" for r in _rows(client, "worklist", collector="lupita"))
    unassigned = {r["customer_id"] for r in _rows(client, "worklist", collector="-")}
    with psycopg.connect(book) as conn:
        collectors = [
            r[0]
            for r in conn.execute(
                "select distinct collector from ops.collector_assignments where ended_at is null"
            ).fetchall()
        ]
        assigned = {r[0] for r in conn.execute(
            "select customer_id from ops.collector_assignments where ended_at is null").fetchall()}  # fmt: skip
    assert unassigned == _overdue_customers(book, set(CUSTOMERS) - assigned)
    # The portfolios and the unassigned customers add up to the book.
    parts = [*(dict(collector=c) for c in collectors), {"collector": "-"}]
    for key, grain, values in (
        ("aging_latest", ("day",), ("current", "1-30", "31-60", "61-90", "91+")),
        ("kpi_history", ("day",), ("total_ar_mxn", "overdue_ar_mxn")),
        ("recovery", ("week_start",), ("messages", "named_mxn", "paid_mxn")),
    ):
        split = _partition_sums([_rows(client, key, **p) for p in parts], grain, values)
        whole = _partition_sums([_rows(client, key)], grain, values)
        assert split and all(split[k] == whole[k] for k in split), key
    assert _rows(client, "worklist", collector="nadie") == []  # a valid name with no portfolio


def test_an_invalid_country_or_collector_is_dropped_not_applied(book: str, client_for: Client) -> None:
    client = client_for(book, "viewer")
    everyone = _rows(client, "worklist")
    for params in ({"country": "XX"}, {"country": "MEX"}, {"country": "EU"}, {"collector": "no such; name"}):
        assert _rows(client, "worklist", **params) == everyone, params
    assert _rows(client, "aging_latest", country="ZZ") == _rows(client, "aging_latest")
    page = client.get("/", params={"country": "XX", "collector": "a b"}).text
    assert '<a href="/worklist" class="">' in page, "no invalid filter follows the links"
    assert "selected>XX" not in page and 'id="scoped-note"' not in page


def test_the_filter_bar_offers_the_countries_and_collectors_in_the_data(book: str, client_for: Client) -> None:
    page = client_for(book, "viewer").get("/", params={"country": "US"}).text
    bar = page[page.index('id="filter-country"') : page.index("</form>")]
    assert '<option value="US" selected>US · Estados Unidos</option>' in bar
    assert '<option value="MX" >MX · México</option>' in bar
    for collector in PORTFOLIOS:
        assert f'<option value="{collector}"' in bar
    assert '<option value="-"' in bar  # the unassigned customers
    english = client_for(book, "viewer").get("/worklist", params={"lang": "en", "collector": "lupita"}).text
    assert "US · United States" in english and '<option value="lupita" selected>' in english


def test_a_collector_opens_their_own_portfolio_and_can_switch_to_all(book: str, client_for: Client) -> None:
    collector = client_for(book, "user", username="cobranza")
    page = collector.get("/worklist").text
    listed = set(re.findall(r'href="/customers/(C\d\d)[?"]', page))
    assert listed == _overdue_customers(book, set(PORTFOLIOS["cobranza"])) and 'id="own-portfolio"' in page
    export = re.search(r'data-export="worklist" href="([^"]+)"', page)
    assert export and "collector=cobranza" in export.group(1)
    show_all = re.search(r'id="show-all" href="([^"]+)"', page)
    assert show_all and "collector=%2A" in show_all.group(1)
    everyone = collector.get(show_all.group(1).replace("&amp;", "&")).text
    assert set(re.findall(r'href="/customers/(C\d\d)[?"]', everyone)) == _overdue_customers(book, set(CUSTOMERS))
    assert 'id="show-mine"' in everyone
    # Someone with no portfolio, and finance, see everyone's.
    for client in (client_for(book, "user", username="nadie"), client_for(book, "viewer")):
        shown = client.get("/worklist").text
        assert set(re.findall(r'href="/customers/(C\d\d)[?"]', shown)) == _overdue_customers(book, set(CUSTOMERS))
    assert 'id="no-portfolio"' in client_for(book, "user", username="nadie").get("/worklist").text


def test_the_filters_follow_navigation_drill_down_exports_and_actions(book: str, client_for: Client) -> None:
    collector = client_for(book, "user", username="cobranza")
    page = collector.get("/worklist", params={"country": "US", "collector": "*", "from": "2026-06-01"}).text
    links = re.findall(r'href="(/customers/C\d\d[^"]*)"', page)
    assert links and all("country=US" in link and "collector=%2A" in link for link in links)
    nav = re.search(r'<a href="([^"]*)" class="[^"]*">Tablero de finanzas', page)
    assert nav and "country=US" in nav.group(1) and "from=2026-06-01" in nav.group(1)
    assert 'type="hidden" name="from" value="2026-06-01"' in page  # the search form keeps the dates
    customer = collector.get(links[0].replace("&amp;", "&")).text
    invoice_links = re.findall(r'href="(/invoices/[^"]*)"', customer)
    assert invoice_links and all("country=US" in link for link in invoice_links)
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', customer)
    action = re.search(r'<form method="post" action="([^"]+)" id="form-note"', customer)
    assert token and action and "country=US" in action.group(1)
    answer = collector.post(
        action.group(1).replace("&amp;", "&"),
        data={"action": "note", "note": "revisar", "csrf_token": token.group(1)},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert answer.status_code == 303 and "country=US" in answer.headers["location"]
    sheet = load_workbook(
        io.BytesIO(client_for(book, "viewer").get("/export/worklist.xlsx", params={"country": "US"}).content)
    ).active
    assert sheet is not None
    cells = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]]
    ids = {c for c in cells if re.fullmatch(r"C\d\d", str(c))}
    assert ids == _overdue_customers(book, US)
    assert any(str(c).startswith("Filtros: country=US") for c in cells), "the sheet says what it is filtered by"
    forecast = load_workbook(
        io.BytesIO(client_for(book, "viewer").get("/export/cash_forecast.xlsx", params={"collector": "lupita"}).content)
    ).active
    assert forecast is not None
    assert any("no se muestra filtrado" in str(r[0]) for r in forecast.iter_rows(values_only=True) if r[0])


def test_an_admin_assigns_a_customer_to_a_collector_on_its_page(book: str, client_for: Client) -> None:
    admin = client_for(book, "admin", username="gina")
    page = admin.get("/customers/C12").text
    assert 'id="profile-collector">Sin asignar<' in page and 'id="form-collector"' in page
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert token

    def post(**form: str) -> str:
        answer = admin.post(
            "/customers/C12/collector", data={**form, "csrf_token": token.group(1)}, headers=SAME_ORIGIN,
            follow_redirects=False,
        )  # fmt: skip
        assert answer.status_code == 303
        return str(answer.headers["location"])

    try:
        assert post(action="assign", collector="lupita").endswith("ok=assign")
        assert 'id="profile-collector">lupita<' in admin.get("/customers/C12").text
        assert _overdue_customers(book, {"C12"}), "C12 (chronic) has overdue invoices"
        assert "C12" in {r["customer_id"] for r in _rows(admin, "worklist", collector="lupita")}
        assert "error=" in post(action="assign", collector="two words")
        assert post(action="unassign").endswith("ok=unassign")
        with psycopg.connect(book) as conn:
            history = conn.execute(
                "select collector, assigned_by, ended_by from ops.collector_assignments where customer_id = 'C12' "
                "order by assignment_id"
            ).fetchall()
        assert history == [("lupita", "gina", "gina")]
    finally:
        with psycopg.connect(book) as conn:
            conn.execute("delete from ops.collector_assignments where customer_id = 'C12'")
    for role in ("viewer", "user"):
        other = client_for(book, role)
        assert 'id="form-collector"' not in other.get("/customers/C12").text
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', other.get("/customers/C12").text)
        forged = other.post(
            "/customers/C12/collector",
            data={"action": "assign", "collector": "lupita", "csrf_token": csrf.group(1) if csrf else ""},
            headers=SAME_ORIGIN,
        )
        assert forged.status_code == 403, role


@pytest.fixture
def cli(book: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    from cartera.config import get_settings

    monkeypatch.setenv("CARTERA_DATABASE_URL", book)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_the_cli_assigns_lists_and_unassigns_portfolios_and_refuses_unknown_customers(
    cli: CliRunner, book: str
) -> None:
    try:
        done = cli.invoke(app, ["portfolio", "assign", "lupita", "C11", "COA121212WX2"])  # C12 by its RFC
        assert done.exit_code == 0, done.output
        assert "customer C11 -> lupita (was unassigned)" in done.output and "customer C12 -> lupita" in done.output
        listed = cli.invoke(app, ["portfolio", "list", "lupita"])
        assert listed.exit_code == 0 and "lupita (7): C02 C04 C06 C08 C10 C11 C12" in listed.output
        refused = cli.invoke(app, ["portfolio", "assign", "cobranza", "C11", "NOBODY"])
        assert refused.exit_code == 2
        with psycopg.connect(book) as conn:  # nothing written: C11 is still lupita's
            assert conn.execute(
                "select collector from ops.collector_assignments where customer_id = 'C11' and ended_at is null"
            ).fetchone() == ("lupita",)
        bad_name = cli.invoke(app, ["portfolio", "assign", "two words", "C11"])
        assert bad_name.exit_code == 2
        gone = cli.invoke(app, ["portfolio", "unassign", "C11", "C12"])
        assert gone.exit_code == 0 and "customer C11 unassigned (was lupita)" in gone.output
    finally:
        with psycopg.connect(book) as conn:
            conn.execute("delete from ops.collector_assignments where customer_id in ('C11', 'C12')")
