"""Land rows in raw, in the caller's transaction (nothing is committed here): COPY of a frame
(:func:`copy_rows`, file imports) or of COPY text lines (:func:`copy_lines`, the ERP stream), the
load's record in ``ops.ingest_loads``, and the undoing of an earlier attempt of the same load id,
so a window is landed exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from cartera.loading.quarantine import delete_rejected
from cartera.raw_contract import raw_columns

if TYPE_CHECKING:  # pandas and GX are heavy: imported where used
    import pandas as pd


@dataclass(frozen=True)
class LoadResult:
    """What one entity's load did (counts only: safe to log and to return to Airflow)."""

    entity: str
    load_id: str
    rows_extracted: int
    rows_loaded: int
    rows_quarantined: int
    gate_passed: bool
    watermark_to: dt.datetime | None
    failures: Mapping[str, int] = field(default_factory=dict)


def record_load(
    conn: psycopg.Connection,
    *,
    load_id: str,
    source: str,
    entity: str,
    rows_extracted: int,
    rows_loaded: int,
    rows_quarantined: int,
    gate_passed: bool,
    watermark_from: dt.datetime | None = None,
    watermark_to: dt.datetime | None = None,
) -> None:
    """The load's record in ``ops.ingest_loads`` (a redo of the same load id overwrites its counts)."""
    conn.execute(
        """
        insert into ops.ingest_loads (load_id, source, entity, watermark_from, watermark_to,
                                      rows_extracted, rows_loaded, rows_quarantined, gate_passed)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (load_id) do update set
            rows_extracted = excluded.rows_extracted, rows_loaded = excluded.rows_loaded,
            rows_quarantined = excluded.rows_quarantined, gate_passed = excluded.gate_passed, finished_at = now()
        """,
        (
            load_id,
            source,
            entity,
            watermark_from,
            watermark_to,
            rows_extracted,
            rows_loaded,
            rows_quarantined,
            gate_passed,
        ),
    )


def copy_rows(conn: psycopg.Connection, entity: str, frame: pd.DataFrame, *, load_id: str, source: str) -> int:
    """COPY `frame` (the canonical columns of raw.<entity>) into raw.<entity>; returns rows copied."""
    columns = raw_columns(entity)
    if frame.empty:
        return 0
    statement = sql.SQL("copy {table} ({columns}) from stdin").format(
        table=sql.Identifier("raw", entity),
        columns=sql.SQL(", ").join(sql.Identifier(c) for c in ("load_id", "source", *columns)),
    )
    count = 0
    bookkeeping = (load_id, source)
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for values in zip(*(_plain_column(frame[c]) for c in columns), strict=True):
            copy.write_row(bookkeeping + values)
            count += 1
    return count


def copy_lines(conn: psycopg.Connection, entity: str, lines: Sequence[bytes], *, load_id: str, source: str) -> int:
    """COPY rows given as COPY text lines of the canonical columns of raw.<entity> (in order, each
    ending with its newline) into raw.<entity>, each prefixed with `load_id` and `source`; returns rows."""
    if not lines:
        return 0
    if any(c in value for value in (load_id, source) for c in "\t\n\\"):
        raise ValueError("load_id and source must not hold tabs, newlines or backslashes")
    statement = sql.SQL("copy {table} ({columns}) from stdin").format(
        table=sql.Identifier("raw", entity),
        columns=sql.SQL(", ").join(sql.Identifier(c) for c in ("load_id", "source", *raw_columns(entity))),
    )
    prefix = f"{load_id}\t{source}\t".encode()
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.write(prefix + prefix.join(lines))
    return len(lines)


def forget_earlier_attempt(conn: psycopg.Connection, entity: str, this_load: str) -> None:
    """Undo what an earlier attempt of the same window left (a failed gate's quarantine, or raw
    rows if the watermark was reset by hand), so the window is landed exactly once."""
    earlier = conn.execute("select rows_loaded from ops.ingest_loads where load_id = %s", (this_load,)).fetchone()
    if earlier is None:
        return
    delete_rejected(conn, this_load)
    if earlier[0]:
        conn.execute(sql.SQL("delete from {} where load_id = %s").format(sql.Identifier("raw", entity)), (this_load,))


# Values COPY writes as they are: what the ERP's frames hold (dtype object, Python values).
_PLAIN_TYPES = frozenset({str, int, float, bool, Decimal, dt.date, dt.datetime, type(None)})


def _plain_column(column: pd.Series) -> list[Any]:
    """The column's values as :func:`_plain` makes them, a column at a time: missing markers are
    found by one ``isna`` over the column and the per-value check is a type lookup, so a frame of
    Python values (the ERP's) costs a list copy, not a pandas call per value."""
    values = column.tolist()
    for position in column.isna().to_numpy().nonzero()[0]:
        values[position] = None
    return [v if type(v) in _PLAIN_TYPES else _plain(v) for v in values]


def _plain(value: Any) -> Any:
    """A value COPY can write: None for pandas' missing markers, Python scalars for numpy ones.

    Frames from the ERP hold Python values already (dtype object); frames from files may not.
    """
    import pandas as pd

    if value is None:
        return None
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()  # numpy int64/float64/bool_ → int/float/bool
    return value
