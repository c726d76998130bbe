"""Per (source, entity) watermarks in `ops.ingest_watermarks`, and the load id of a window.

A watermark is the newest `updated_at` (the source's write_date) already landed for an entity: the
next extract starts strictly after it. It moves only forward and only in the transaction that
lands the rows it covers, so a crash never skips rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import psycopg


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


def load_id(source: str, entity: str, watermark_from: dt.datetime | None, watermark_to: dt.datetime | None) -> str:
    """A deterministic id for the window (watermark_from, watermark_to] of one entity.

    The same window always gets the same id, so a retried load replaces its earlier attempt
    instead of landing twice. Instants are normalised to UTC so the session time zone cannot
    change the id.
    """

    def instant(value: dt.datetime | None) -> str:
        if value is None:
            return "start"
        if value.tzinfo is None:
            raise ValueError("watermarks must be timezone-aware")
        return value.astimezone(dt.UTC).isoformat()

    digest = hashlib.sha256(f"{source}|{entity}|{instant(watermark_from)}|{instant(watermark_to)}".encode()).hexdigest()
    return f"{source}-{entity}-{digest[:16]}"
