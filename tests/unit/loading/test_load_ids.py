"""Load ids name a window deterministically: the same window is the same load, whatever the clock or zone."""

from __future__ import annotations

import datetime as dt

import pytest

from cartera.loading.watermarks import load_id

START = dt.datetime(2025, 5, 1, 12, 0, tzinfo=dt.UTC)
END = dt.datetime(2025, 6, 1, 6, 30, tzinfo=dt.UTC)


def test_the_same_window_always_gets_the_same_id() -> None:
    assert load_id("erp", "invoices", START, END) == load_id("erp", "invoices", START, END)


def test_the_id_does_not_depend_on_the_time_zone_the_instants_are_expressed_in() -> None:
    mexico = dt.timezone(dt.timedelta(hours=-6))
    assert load_id("erp", "invoices", START.astimezone(mexico), END.astimezone(mexico)) == load_id(
        "erp", "invoices", START, END
    )


def test_source_entity_and_both_bounds_each_change_the_id() -> None:
    base = load_id("erp", "invoices", START, END)
    others = {
        load_id("files", "invoices", START, END),
        load_id("erp", "payments", START, END),
        load_id("erp", "invoices", None, END),
        load_id("erp", "invoices", START, END + dt.timedelta(microseconds=1)),
    }
    assert base not in others and len(others) == 4


def test_the_id_says_which_source_and_entity_it_loaded() -> None:
    assert load_id("erp", "invoices", START, END).startswith("erp-invoices-")


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        load_id("erp", "invoices", START.replace(tzinfo=None), END)


def test_late_rows_change_the_id_so_an_empty_rerun_of_the_window_never_replaces_them() -> None:
    late = [(("202",), START - dt.timedelta(hours=1))]
    assert load_id("erp", "payments", START, START, late=late) != load_id("erp", "payments", START, START)
    assert load_id("erp", "payments", START, START, late=[]) == load_id("erp", "payments", START, START)


def test_the_same_late_rows_in_any_order_and_zone_give_the_same_id() -> None:
    mexico = dt.timezone(dt.timedelta(hours=-6))
    one, two = (("202",), START), (("203",), END)
    assert load_id("erp", "payments", START, END, late=[one, two]) == load_id(
        "erp", "payments", START, END, late=[two, (one[0], one[1].astimezone(mexico))]
    )
    assert load_id("erp", "payments", START, END, late=[one]) != load_id("erp", "payments", START, END, late=[two])
