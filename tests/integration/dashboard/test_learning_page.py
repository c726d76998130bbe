"""The learning page on the dashboard book's real marts: both arms with their figures and 95 %
intervals, the uplift over the control group, the learner's preferred arms per segment; behind
the sign-in and the finance role like every page, and served as JSON and XLSX."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from dashboard_book import AS_OF, CUSTOMERS, START
from openpyxl import load_workbook

from cartera.campaigns.playbook import load_playbook
from cartera.learning.thompson import warm_start

pytestmark = pytest.mark.integration
Client = Callable[..., Any]
CONTROL = ("C03", "C06", "C09", "C12")


@pytest.fixture(scope="module")
def learned_book(book: str) -> str:
    """The book with every customer assigned to an arm of one experiment, and a learner state."""
    with psycopg.connect(book) as conn:
        for customer, (*_, behaviour, _currency) in CUSTOMERS.items():
            arm = "control" if customer in CONTROL else "champion"
            conn.execute(
                "insert into ops.strategy_assignments values ('setting:learned', %s, %s, %s, %s, %s, %s) "
                "on conflict do nothing",
                (customer, arm, "fixed" if arm == "control" else "learned", behaviour, START,
                 dt.datetime(2026, 1, 5, 15, tzinfo=dt.UTC)),
            )  # fmt: skip
        conn.execute(
            "insert into ops.learner_state (learner, version, created_at, source, state) values "
            "('channel_hour_tone', 1, %s, 'warm_start', %s) on conflict do nothing",
            (dt.datetime(2026, 1, 5, 15, tzinfo=dt.UTC), json.dumps(warm_start(load_playbook()).to_json())),
        )
    return book


def test_the_learning_page_shows_both_arms_with_intervals_and_the_preferred_arms(
    learned_book: str, client_for: Client
) -> None:
    finance = client_for(learned_book, "viewer")
    page = finance.get(f"/learning?to={AS_OF.isoformat()}&lang=en")
    assert page.status_code == 200
    assert "Learning: control group and strategies" in page.text and "Preferred arms per segment" in page.text
    assert "Cash collected within 30 days of due" in page.text and "DSO (countback)" in page.text

    data = finance.get(f"/api/data/learning_arms?to={AS_OF.isoformat()}").json()
    rows = {(r["segment"], r["arm"]): r for r in data["rows"]}
    control, champion = rows[("all", "control")], rows[("all", "champion")]
    assert (control["customers"], champion["customers"]) == (4, 8)
    assert control["strategy"] == "fixed" and champion["strategy"] == "learned"
    for row in (control, champion):
        assert isinstance(row["messages_per_customer"], int | float) and row["dso"] > 0
        assert 0 <= row["cash_collected_30d"] <= 1
        assert row["dso_low"] is None  # fewer than 20 customers: no interval is shown
    expected = champion["cash_collected_30d"] / control["cash_collected_30d"] - 1
    assert champion["cash_collected_30d_uplift"] == pytest.approx(expected)
    assert control["cash_collected_30d_uplift"] is None

    preferred = finance.get("/api/data/learning_preferred").json()["rows"]
    assert {r["segment"] for r in preferred} >= {"chronic", "at_risk", "new"}
    assert {r["rank"] for r in preferred} == {1, 2, 3} and all(r["version"] == 1 for r in preferred)

    sheet = load_workbook(io.BytesIO(finance.get("/export/learning_arms.xlsx").content)).active
    assert sheet is not None and sheet.max_row >= 3


def test_the_learning_page_needs_a_role_and_is_empty_before_any_experiment(
    learned_book: str, fresh_db: str, client_for: Client
) -> None:
    assert client_for(learned_book, role="nobody").get("/learning").status_code == 403
    assert client_for(learned_book, role=None).get("/learning", follow_redirects=False).status_code == 303
    empty = client_for(fresh_db, "viewer")
    assert empty.get("/learning").status_code == 200
    assert empty.get("/api/data/learning_arms").json()["rows"] == []
