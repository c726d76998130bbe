"""Per (source, entity) watermarks in `ops.ingest_watermarks`, the overlap before them, and the
load id of a window.

A watermark is the newest `updated_at` (the source's write_date) already landed for an entity. It
moves only forward and only in the transaction that lands the rows it covers, so a crash never
skips rows. The next extract reads after it, and also re-reads an *overlap* before it, because a
row may become visible after a newer one was landed (its transaction committed late; see
`cartera.sources.erp`). In that overlap, a row version — (key, updated_at) — already in raw or in
quarantine (of a load whose gate passed) is dropped by :func:`split_overlap`, counted as a multiset
so two versions sharing a key and an instant are told apart; what remains there is late, and lands.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

if TYPE_CHECKING:  # pandas is heavy: imported where frames are built
    import pandas as pd

RowVersion = tuple[tuple[str | None, ...], dt.datetime]
"""One version of a source row: its key values as text (None when unset) and its updated_at."""


def lock_entity(conn: psycopg.Connection, source: str, entity: str) -> None:
    """Serialise loads of one (source, entity) until the current transaction ends.

    Two runs at once (a manual rerun during the scheduled one) would otherwise read the same
    watermark and land the same window twice.
    """
    conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"cartera.ingest:{source}:{entity}",))


def read_watermark(conn: psycopg.Connection, source: str, entity: str) -> dt.datetime | None:
    """The entity's watermark, or None before its first successful load."""
    row = conn.execute(
        "select watermark from ops.ingest_watermarks where source = %s and entity = %s", (source, entity)
    ).fetchone()
    return row[0] if row else None


def advance_watermark(conn: psycopg.Connection, source: str, entity: str, watermark: dt.datetime) -> None:
    """Move the watermark to `watermark`, never backwards."""
    conn.execute(
        """
        insert into ops.ingest_watermarks (source, entity, watermark) values (%s, %s, %s)
        on conflict (source, entity) do update
        set watermark = greatest(ops.ingest_watermarks.watermark, excluded.watermark), updated_at = now()
        """,
        (source, entity, watermark),
    )


def load_id(
    source: str,
    entity: str,
    watermark_from: dt.datetime | None,
    watermark_to: dt.datetime | None,
    *,
    late: Collection[RowVersion] = (),
) -> str:
    """A deterministic id for the window (watermark_from, watermark_to] of one entity, plus the
    `late` row versions it lands from before watermark_from (found in the overlap).

    The same window with the same late rows always gets the same id, so a retried load replaces
    its earlier attempt instead of landing twice; late rows make the id differ from the empty
    window's, so a rerun that finds nothing can never replace (delete) a load of late rows.
    Without late rows the id is the window's alone. Instants are normalised to UTC so the session
    time zone cannot change the id.
    """

    def instant(value: dt.datetime | None) -> str:
        if value is None:
            return "start"
        if value.tzinfo is None:
            raise ValueError("watermarks must be timezone-aware")
        return value.astimezone(dt.UTC).isoformat()

    window = f"{source}|{entity}|{instant(watermark_from)}|{instant(watermark_to)}"
    if late:
        versions = sorted(f"{':'.join('' if v is None else v for v in key)}@{instant(at)}" for key, at in late)
        window += "|late:" + ",".join(versions)
    digest = hashlib.sha256(window.encode()).hexdigest()
    return f"{source}-{entity}-{digest[:16]}"


def landed_versions(
    conn: psycopg.Connection,
    *,
    source: str,
    entity: str,
    key: tuple[str, ...],
    after: dt.datetime,
    upto: dt.datetime,
) -> Counter[RowVersion]:
    """How many times each row version with updated_at in (after, upto] was already handled:
    landed in ``raw.<entity>``, or quarantined by a load whose gate passed (a failed gate's
    quarantine is redone with its window, so it does not count)."""
    raw_key = sql.SQL(", ").join(sql.Identifier(c) for c in key)
    record_key = sql.SQL(", ").join(sql.SQL("record->>{}").format(sql.Literal(c)) for c in key)
    by_key = sql.SQL(", ").join(sql.SQL(str(n)) for n in range(1, len(key) + 2))
    landed = conn.execute(
        sql.SQL(
            "select {raw_key}, updated_at, count(*) from {table}"
            " where source = %s and updated_at > %s and updated_at <= %s group by {by_key}"
        ).format(raw_key=raw_key, table=sql.Identifier("raw", entity), by_key=by_key),
        (source, after, upto),
    ).fetchall()
    # Materialized: the records are filtered to this source and entity before their updated_at is
    # cast (another source's record may hold text that is no instant).
    quarantined = conn.execute(
        sql.SQL(
            """
            with rejected as materialized (
                select q.load_id, q.row_number, q.record
                from quarantine.rejected_rows q join ops.ingest_loads l on l.load_id = q.load_id
                where q.source = %s and q.entity = %s and l.gate_passed
            )
            select {record_key}, (record->>'updated_at')::timestamptz, count(distinct (load_id, row_number))
            from rejected
            where (record->>'updated_at')::timestamptz > %s and (record->>'updated_at')::timestamptz <= %s
            group by {by_key}
            """
        ).format(record_key=record_key, by_key=by_key),
        (source, entity, after, upto),
    ).fetchall()
    counts: Counter[RowVersion] = Counter()
    for row in (*landed, *quarantined):
        counts[(tuple(_key_text(v) for v in row[: len(key)]), row[len(key)])] += row[len(key) + 1]
    return counts


def split_overlap(
    frame: pd.DataFrame, *, key: tuple[str, ...], watermark: dt.datetime | None, landed: Counter[RowVersion]
) -> tuple[pd.DataFrame, list[RowVersion]]:
    """The rows of an extract still to land, and the late versions among them.

    Rows after the watermark are new. A row at or before it (the overlap) is dropped when its
    version is in `landed` (each landed copy drops one row), and kept as late otherwise. Order is
    kept, so row numbers stay reproducible.
    """
    if watermark is None or frame.empty:
        return frame, []
    remaining = Counter(landed)
    keep: list[bool] = []
    late: list[RowVersion] = []
    key_values = frame.loc[:, list(key)].itertuples(index=False, name=None)
    for values, updated_at in zip(key_values, frame["updated_at"], strict=True):
        if updated_at is None or updated_at > watermark:
            keep.append(True)
            continue
        version = (tuple(_key_text(v) for v in values), updated_at)
        if remaining[version] > 0:
            remaining[version] -= 1
            keep.append(False)
        else:
            keep.append(True)
            late.append(version)
    return frame.loc[keep].reset_index(drop=True), late


def _key_text(value: Any) -> str | None:
    """A key value as text, the same whether read from raw (typed) or a quarantine record (JSON)."""
    import pandas as pd

    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)
