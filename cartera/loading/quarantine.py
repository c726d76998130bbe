"""Rejected rows in `quarantine.rejected_rows`: never silently dropped.

One writer for every source (the ERP ingest and file imports): one record per (entity, row, rule),
the whole source row as JSON, the rule, the field and a reason in plain words naming the field. The row's values are kept here (the table is access-controlled like raw), but
never logged.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

if TYPE_CHECKING:  # pandas is heavy: imported where frames are built
    pass

QUARANTINE_COLUMNS = (
    "load_id", "source", "entity", "row_number", "record_key", "rule", "reason", "record", "field", "file_name",
)  # fmt: skip


@dataclass(frozen=True)
class QuarantineRecord:
    """One rejected (row, rule) of any source. `row_number` is the row in the source's own terms (the
    batch position for the ERP, the file's row for an export); `field` the field that failed, when
    one did; `file_name` the export it came from (printable: see limits.display_name)."""

    entity: str
    row_number: int
    rule: str
    reason: str
    record: Mapping[str, Any]
    record_key: str | None = None
    field: str | None = None
    file_name: str | None = None


def write_records(conn: psycopg.Connection, *, load_id: str, source: str, records: Iterable[QuarantineRecord]) -> int:
    """The one quarantine writer: COPY one row per (entity, row, rule) (a repeat of the same triple is
    written once), the record serialised by the one serialiser. Returns the distinct (entity, row)
    count."""
    seen: set[tuple[str, int, str]] = set()
    rows: set[tuple[str, int]] = set()
    statement = sql.SQL("copy quarantine.rejected_rows ({}) from stdin").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in QUARANTINE_COLUMNS)
    )
    pending = []
    for item in records:
        if (item.entity, item.row_number, item.rule) in seen:
            continue
        seen.add((item.entity, item.row_number, item.rule))
        rows.add((item.entity, item.row_number))
        pending.append(item)
    if not pending:
        return 0
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for item in pending:
            copy.write_row(
                (
                    load_id,
                    source,
                    item.entity,
                    item.row_number,
                    None if item.record_key is None else _text(str(item.record_key)),
                    item.rule,
                    _text(item.reason),
                    Jsonb(dict(item.record), dumps=_dumps),
                    item.field,
                    item.file_name,
                )
            )
    return len(rows)


def delete_rejected(conn: psycopg.Connection, load_id: str) -> None:
    """Forget the quarantine records of an earlier attempt of the same load (it is being redone)."""
    conn.execute("delete from quarantine.rejected_rows where load_id = %s", (load_id,))


def _dumps(value: Any) -> str:
    return json.dumps(_storable(value), default=_json_default, ensure_ascii=False)


def _storable(value: Any) -> Any:
    """Text jsonb can hold: a NUL (which jsonb refuses) and bytes a decoder could not read (kept as
    lone surrogates) are written as backslash escapes, so the record shows what the file had."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return {_text(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def _text(value: str) -> str:
    if value.isprintable():
        return value
    value = value.replace("\x00", "\\x00")
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)  # exact: a float would round the amount
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a quarantine record")
