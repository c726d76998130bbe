"""The overlap before a watermark: row versions already handled are dropped (as a multiset), late
ones kept in order; the setting that sizes the overlap; the ERP mappings name a key per entity."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pandas as pd
import pytest

from cartera.config import Settings
from cartera.loading.watermarks import RowVersion, split_overlap
from cartera.raw_contract import ENTITIES, raw_columns
from cartera.sources.erp import MAPPINGS

WATERMARK = dt.datetime(2025, 5, 1, 12, 0, tzinfo=dt.UTC)
BEFORE = WATERMARK - dt.timedelta(minutes=5)
AFTER = WATERMARK + dt.timedelta(minutes=5)


def payments(*rows: tuple[str | None, dt.datetime]) -> pd.DataFrame:
    return pd.DataFrame([{"payment_id": p, "amount": 1, "updated_at": at} for p, at in rows], dtype=object)


def ids(frame: pd.DataFrame) -> list[str | None]:
    return list(frame["payment_id"])


def test_versions_already_landed_in_the_overlap_are_dropped_and_new_rows_kept() -> None:
    frame = payments(("1", BEFORE), ("2", WATERMARK), ("3", AFTER))
    landed: Counter[RowVersion] = Counter({(("1",), BEFORE): 1, (("2",), WATERMARK): 1})
    kept, late = split_overlap(frame, key=("payment_id",), watermark=WATERMARK, landed=landed)
    assert ids(kept) == ["3"] and late == []


def test_a_row_in_the_overlap_not_landed_yet_is_kept_as_late_in_its_place() -> None:
    frame = payments(("1", BEFORE), ("9", BEFORE), ("2", WATERMARK), ("3", AFTER))
    landed: Counter[RowVersion] = Counter({(("1",), BEFORE): 1, (("2",), WATERMARK): 1})
    kept, late = split_overlap(frame, key=("payment_id",), watermark=WATERMARK, landed=landed)
    assert ids(kept) == ["9", "3"] and late == [(("9",), BEFORE)]
    assert list(kept.index) == [0, 1]  # renumbered: the gate's row numbers stay 1..n


def test_a_new_version_of_a_landed_key_is_kept() -> None:
    frame = payments(("1", WATERMARK))
    landed: Counter[RowVersion] = Counter({(("1",), BEFORE): 1})
    kept, late = split_overlap(frame, key=("payment_id",), watermark=WATERMARK, landed=landed)
    assert ids(kept) == ["1"] and late == [(("1",), WATERMARK)]


def test_each_landed_copy_drops_one_row_so_two_keyless_rows_at_one_instant_are_told_apart() -> None:
    frame = payments((None, BEFORE), (None, BEFORE))
    landed: Counter[RowVersion] = Counter({((None,), BEFORE): 1})  # one of them was quarantined before
    kept, late = split_overlap(frame, key=("payment_id",), watermark=WATERMARK, landed=landed)
    assert ids(kept) == [None] and late == [((None,), BEFORE)]


def test_without_a_watermark_everything_is_new() -> None:
    frame = payments(("1", BEFORE))
    kept, late = split_overlap(frame, key=("payment_id",), watermark=None, landed=Counter({(("1",), BEFORE): 1}))
    assert ids(kept) == ["1"] and late == []


def test_compound_keys_compare_as_text_whether_read_from_raw_or_a_quarantine_record() -> None:
    frame = pd.DataFrame(
        [{"rate_date": dt.date(2025, 4, 30), "currency": "USD", "rate_to_mxn": 17, "updated_at": BEFORE}], dtype=object
    )
    landed: Counter[RowVersion] = Counter({(("USD", "2025-04-30"), BEFORE): 1})
    kept, _ = split_overlap(frame, key=("currency", "rate_date"), watermark=WATERMARK, landed=landed)
    assert kept.empty


@pytest.mark.parametrize("entity", ENTITIES)
def test_every_erp_entity_names_a_key_among_its_raw_columns(entity: str) -> None:
    key = MAPPINGS[entity].key
    assert key and set(key) <= set(raw_columns(entity))


def test_the_overlap_defaults_to_a_day_and_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).erp_extract_overlap == dt.timedelta(days=1)  # type: ignore[call-arg]
    monkeypatch.setenv("CARTERA_ERP_EXTRACT_OVERLAP", "PT6H")
    assert Settings(_env_file=None).erp_extract_overlap == dt.timedelta(hours=6)  # type: ignore[call-arg]


def test_a_negative_overlap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTERA_ERP_EXTRACT_OVERLAP", "-PT1H")
    with pytest.raises(ValueError, match="erp_extract_overlap"):
        Settings(_env_file=None)  # type: ignore[call-arg]
