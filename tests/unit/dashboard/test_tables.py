"""The dashboard's filters as a person's query string reads them: valid values kept, anything else
dropped (never an error, never passed to a query)."""

from __future__ import annotations

import datetime as dt

import pytest

from cartera.dashboard.tables import ALL_COLLECTORS, UNASSIGNED, Filters


def test_a_country_is_an_iso_alpha_2_code_in_any_case() -> None:
    assert Filters.from_query({"country": "us"}).country == "US"
    assert Filters.from_query({"country": " MX "}).country == "MX"


@pytest.mark.parametrize("value", ["XX", "MEX", "M", "EU", "ZZ", "419", "<b>", ""])
def test_an_unknown_country_or_a_region_is_dropped(value: str) -> None:
    assert Filters.from_query({"country": value}).country is None


def test_a_collector_is_a_username_or_all_or_unassigned() -> None:
    assert Filters.from_query({"collector": "cobranza"}).collector == "cobranza"
    assert Filters.from_query({"collector": "ana.m@norte"}).portfolio == "ana.m@norte"
    assert Filters.from_query({"collector": UNASSIGNED}).portfolio == UNASSIGNED
    everyone = Filters.from_query({"collector": ALL_COLLECTORS})
    assert everyone.collector == ALL_COLLECTORS and everyone.portfolio is None  # chosen, but chooses nobody out


@pytest.mark.parametrize("value", ["two words", "x" * 65, "'; drop table", "café"])
def test_a_malformed_collector_is_dropped(value: str) -> None:
    assert Filters.from_query({"collector": value}).collector is None


def test_scoped_names_the_filters_that_choose_customers() -> None:
    assert Filters.from_query({"currency": "USD", "from": "2026-01-01"}).scoped == []
    assert Filters.from_query({"collector": ALL_COLLECTORS}).scoped == []
    chosen = Filters.from_query({"segment": "chronic", "country": "MX", "collector": "lupita"})
    assert chosen.scoped == ["segment", "country", "collector"]


def test_the_query_keeps_the_valid_filters_for_links_and_exports() -> None:
    f = Filters.from_query({"country": "us", "collector": "lupita", "to": "2026-11-24", "segment": "nope"})
    assert f.date_to == dt.date(2026, 11, 24)
    assert f.query() == {"to": "2026-11-24", "country": "US", "collector": "lupita"}
