"""Rejected rows in `quarantine.rejected_rows`: never silently dropped.

One record per (row, rule): the whole source row as JSON, the rule and a reason in plain words
naming the field. The row's values are kept here (the table is access-controlled like raw), but
never logged.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

if TYPE_CHECKING:  # pandas is heavy: imported where frames are built
    import pandas as pd

QUARANTINE_COLUMNS = ("load_id", "source", "entity", "row_number", "record_key", "rule", "reason", "record")


def write_rejected(
    conn: psycopg.Connection, *, load_id: str, source: str, entity: str, batch: pd.DataFrame, rejected: pd.DataFrame
) -> int:
    """Insert one quarantine record per rejected (row, rule); `row_number` is 1-based in `batch`.

    Returns the number of records written.
    """
    if rejected.empty:
        return 0
    records = batch.reset_index(drop=True)
    statement = sql.SQL("copy quarantine.rejected_rows ({}) from stdin").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in QUARANTINE_COLUMNS)
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for item in rejected.itertuples(index=False):
            row = {column: _plain(value) for column, value in records.iloc[int(item.row_number) - 1].items()}
            copy.write_row(
                (
                    load_id,
                    source,
                    entity,
                    int(item.row_number),
                    item.record_key,
                    item.rule,
                    item.reason,
                    Jsonb(row, dumps=_dumps),
                )
            )
    return len(rejected)


def delete_rejected(conn: psycopg.Connection, load_id: str) -> None:
    """Forget the quarantine records of an earlier attempt of the same load (it is being redone)."""
    conn.execute("delete from quarantine.rejected_rows where load_id = %s", (load_id,))


def _plain(value: Any) -> Any:
    """None for missing values (NaN / NaT / NA are not valid JSON), the value otherwise."""
    import pandas as pd

    return None if pd.api.types.is_scalar(value) and pd.isna(value) else value


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)  # exact: a float would round the amount
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a quarantine record")
