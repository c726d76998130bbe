"""Smoke test of the 1M-invoice benchmark (`bench.scale`) on a tiny book: the day window, the
COPY baseline and the ingest land the same rows in child processes that report their peak RSS,
and the measures merge into docs/benchmarks.json by name. Marked `bench`: `make test` skips it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bench import scale

pytestmark = [pytest.mark.bench, pytest.mark.integration]


def test_the_copy_baseline_and_the_ingest_land_the_same_rows_and_report_their_peak_rss(fresh_db: str) -> None:
    from cartera.synthetic import generate

    generate(fresh_db, customers=20, months=3, as_of=scale.AS_OF)
    full_upper, day_upper, day_rows, total = scale.day_window(fresh_db)
    assert full_upper < day_upper and day_rows >= scale.INCREMENT_SHARE * total

    copied = scale.run_task("copy_baseline", fresh_db, upper=full_upper)
    scale.reset_raw(fresh_db)
    ingested = scale.run_task("ingest", fresh_db, upper=full_upper)
    day = scale.run_task("ingest", fresh_db, upper=day_upper)

    assert copied["rows"] == ingested["rows"] == ingested["loaded"] > 0
    assert 0 < day["loaded"] <= day_rows
    with psycopg.connect(fresh_db) as conn:
        row = conn.execute("select count(*) from raw.invoices").fetchone()
    assert row is not None and row[0] > 0
    assert all(r["peak_rss_mb"] > 10 for r in (copied, ingested, day))


def _result(seconds: float, rss: float = 100.0, **extra: Any) -> dict[str, Any]:
    return {"seconds": seconds, "peak_rss_mb": rss, "rows": 10, **extra}


def test_the_measures_merge_into_the_json_by_name_keeping_the_others(tmp_path: Path) -> None:
    r = {
        "invoices": 1000,
        "day": {"from": "a", "to": "b", "rows": 5, "total": 1000},
        "copy_baseline": _result(1.0),
        "ingest_full": _result(3.0, 900.0),
        "ingest_day": _result(0.3),
        "dbt_build": _result(10.0),
        "dbt_rerun": _result(9.0),
        "train": _result(20.0),
        "train_baseline": _result(2.0),
        "score": _result(4.0),
        "score_baseline": _result(1.0),
        "campaign_build": _result(6.0),
        "campaign_playbook": _result(2.0),
        "pages": _result(5.0, requests=10, pages={"baseline /api/me": {"p95_ms": 5.0}, "/": {"p95_ms": 50.0}}),
    }
    rows = scale.measures(r)
    by_name = {row["name"]: row for row in rows}
    ingest = by_name["scale_ingest_full_vs_copy"]
    assert (ingest["value"], ingest["baseline"], ingest["ratio"], ingest["peak_rss_mb"]) == (3.0, 1.0, 3.0, 900)
    assert by_name["scale_page_p95 /"]["ratio"] == 10.0
    assert all({"name", "invoices", "value", "baseline", "ratio", "unit", "peak_rss_mb"} <= set(m) for m in rows)

    path = tmp_path / "benchmarks.json"
    path.write_text(json.dumps([{"name": "dispatch_messages_per_second", "value": 340.3}]), encoding="utf-8")
    scale.write_json(path, rows)
    scale.write_json(path, rows)  # a second run replaces its own measures
    names = [m["name"] for m in json.loads(path.read_text(encoding="utf-8"))]
    assert names.count("dispatch_messages_per_second") == 1
    assert sorted(names) == sorted(["dispatch_messages_per_second", *by_name])
