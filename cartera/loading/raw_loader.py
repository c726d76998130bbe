"""Land one entity's validated batch in the warehouse, in the caller's transaction.

Contract of :func:`land_batch` (run it inside ``conn.transaction()``; nothing is committed here):
- gate passed: good rows → ``raw.<entity>`` with COPY (each with `load_id`, `source`), rejected
  rows → quarantine, a load record with ``gate_passed = true``, the watermark advanced to the
  newest write_date of the batch;
- gate failed: rejected rows → quarantine and a load record with ``gate_passed = false``; no raw
  rows and the watermark stays, so the same window is extracted again once the source is fixed;
- a load with the same `load_id` (same window) replaces its earlier attempt: never lands twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from cartera.loading.quarantine import delete_rejected, write_rejected
from cartera.loading.watermarks import RowVersion, advance_watermark, load_id
from cartera.raw_contract import raw_columns

if TYPE_CHECKING:  # pandas and GX are heavy: imported where used
    import pandas as pd

    from expectations.gate import GateResult


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


def land_batch(
    conn: psycopg.Connection,
    *,
    source: str,
    entity: str,
    batch: pd.DataFrame,
    gate: GateResult,
    watermark_from: dt.datetime | None,
    newest_write: dt.datetime | None,
    late: Collection[RowVersion] = (),
) -> LoadResult:
    """Write the batch's outcome (see module docstring). `newest_write` is the batch's max updated_at;
    `late` the batch's row versions from before `watermark_from` (an overlap re-read), part of its id."""
    watermark_to = newest_write if newest_write is not None else watermark_from
    this_load = load_id(source, entity, watermark_from, watermark_to, late=late)
    _forget_earlier_attempt(conn, entity, this_load)
    quarantined = gate.rejected_row_count
    write_rejected(conn, load_id=this_load, source=source, entity=entity, batch=batch, rejected=gate.rejected)
    loaded = 0
    if gate.passed:
        loaded = copy_rows(conn, entity, gate.good, load_id=this_load, source=source)
        if newest_write is not None:
            advance_watermark(conn, source, entity, newest_write)
    record_load(
        conn,
        load_id=this_load,
        source=source,
        entity=entity,
        rows_extracted=len(batch),
        rows_loaded=loaded,
        rows_quarantined=quarantined,
        gate_passed=gate.passed,
        watermark_from=watermark_from,
        watermark_to=watermark_to,
    )
    return LoadResult(
        entity, this_load, len(batch), loaded, quarantined, gate.passed, watermark_to, dict(gate.failures)
    )


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


def _forget_earlier_attempt(conn: psycopg.Connection, entity: str, this_load: str) -> None:
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
