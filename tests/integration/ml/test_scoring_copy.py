"""Scores and segments written as one block of COPY text read back as the row-by-row COPY wrote them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg
import pytest
from psycopg.types.json import Jsonb

from ml.scoring import _SCORE_COLUMNS, _copy_scores, _copy_segments

pytestmark = pytest.mark.integration

DAY = dt.date(2025, 6, 30)
# Text that COPY's text format must escape, accents, and a JSON string with quotes and a backslash.
AWKWARD = ["INV\t1", "INV\\2", "INV\n3", 'Factura "Ñ" \\ 4\r']


def _scores() -> pd.DataFrame:
    reasons = [
        [{"feature": "amount_mxn", "contribution": 0.1234, "es": "Importe de la factura: $1,000 MXN", "en": "x"}],
        [{"feature": "issue_month", "contribution": -1.5, "es": 'Emitida en "mayo" \\ ñ', "en": "Issued\tin May"}],
        [],
        [{"feature": "is_usd", "contribution": 1e-05, "es": "línea\nnueva", "en": "😀"}],
    ]
    return pd.DataFrame(
        {
            "invoice_id": AWKWARD,
            "customer_id": ["C\t1", "C\\2", "C3", "C4"],
            "p_late": [0.123457, 1.0, 0.0, 0.1 + 0.2],
            "expected_payment_date": [dt.date(2025, 7, 1)] * 4,
            "expected_payment_date_lower": [None, dt.date(2025, 6, 20), None, dt.date(2025, 6, 1)],
            "expected_payment_date_upper": [None, dt.date(2025, 7, 20), None, dt.date(2025, 8, 1)],
            "reasons": reasons,
        }
    )


def _read(dsn: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return list(conn.execute(query).fetchall())


def test_a_block_of_copy_text_stores_what_row_by_row_copy_stores(fresh_db: str) -> None:
    scores = _scores()
    with psycopg.connect(fresh_db) as conn:
        _copy_scores(conn, DAY, "model-a", scores)
        # The reference: one row at a time through psycopg's adapters, on another date.
        statement = f"copy ml.invoice_scores ({', '.join(_SCORE_COLUMNS)}) from stdin"
        with conn.cursor() as cur, cur.copy(statement) as copy:  # type: ignore[arg-type]
            for r in scores.itertuples(index=False):
                copy.write_row((DAY + dt.timedelta(days=1), r.invoice_id, r.customer_id, "model-a", float(r.p_late),
                                r.expected_payment_date, r.expected_payment_date_lower, r.expected_payment_date_upper,
                                Jsonb(r.reasons)))  # fmt: skip
        segments = pd.DataFrame(
            {
                "customer_id": ["C\t1", "C\\2"],
                "risk_score": [0.1 + 0.2, float("nan")],
                "segment": ["at_risk", "new"],
                "reasons": [[{"rule": "risk_score", "es": 'Riesgo "alto" \\ ñ', "en": "a\nb"}], []],
            }
        )
        _copy_segments(conn, DAY, segments)

    columns = ", ".join(c for c in _SCORE_COLUMNS if c != "score_date")
    rows = _read(fresh_db, f"select score_date, {columns} from ml.invoice_scores order by score_date, invoice_id")
    block, one_by_one = rows[:4], rows[4:]
    assert [r[1:] for r in block] == [r[1:] for r in one_by_one]
    assert sorted(r[1] for r in block) == sorted(AWKWARD)
    assert {r[4] for r in block} == {0.123457, 1.0, 0.0, 0.1 + 0.2}  # floats exact through the text
    stored = _read(fresh_db, "select customer_id, risk_score, segment, reasons from ml.customer_segments order by 1")
    assert stored == [
        ("C\t1", 0.1 + 0.2, "at_risk", segments["reasons"][0]),
        ("C\\2", None, "new", []),
    ]
