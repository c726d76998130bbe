"""What a file import records besides the rows it lands: its row in ``ops.file_imports`` (also
for a file refused as a whole), its rejects in quarantine on the file's own rows, and the undoing
of an earlier attempt of the same content whose gate failed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from cartera.db import connect
from cartera.loading.quarantine import QuarantineRecord, write_records
from cartera.sources.files.limits import display_name
from cartera.sources.files.reader import ParsedFile
from cartera.sources.files.records import Reject

if TYPE_CHECKING:
    import pandas as pd


def forget_failed_attempt(conn: Any, load_id: str) -> None:
    """An earlier attempt of the same content whose gate failed: its records are redone."""
    conn.execute("delete from quarantine.rejected_rows where load_id = %s", (load_id,))
    conn.execute("delete from ops.ingest_loads where load_id like %s", (f"{load_id}:%",))
    conn.execute("delete from ops.file_imports where load_id = %s", (load_id,))


def record_import(
    conn: Any,
    parsed: ParsedFile,
    *,
    name: str,
    source: str,
    load_id: str,
    imported_at: dt.datetime,
    invoices_loaded: int,
    quarantined: int,
    passed: bool,
) -> None:
    """The import's row in ``ops.file_imports``: what was read, loaded and quarantined, whether the
    gate passed, the mapping used and the warnings (what was assumed or not used)."""
    conn.execute(
        """insert into ops.file_imports (sha256, file_name, source, load_id, imported_at, rows_read,
               invoices_loaded, rows_quarantined, gate_passed, mapping, warnings, rows_skipped)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (
            parsed.sha256,
            name,
            source,
            load_id,
            imported_at,
            parsed.rows_read,
            invoices_loaded,
            quarantined,
            passed,
            Jsonb(parsed.mapping),
            Jsonb(list(parsed.warnings)),
            sum(len(rows) for rows in parsed.skipped.values()),
        ),
    )


def gate_rejects(
    rejected: pd.DataFrame, source_rows: list[int], frame: pd.DataFrame, parsed: ParsedFile, entity: str
) -> list[Reject]:
    """The gate's rejects (positions in `frame`) as Rejects on the file's rows."""
    out = []
    for item in rejected.itertuples(index=False):
        position = int(item.row_number) - 1
        row = int(source_rows[position]) if position < len(source_rows) else 0
        record = {k: v for k, v in frame.iloc[position].items() if not str(k).startswith("_")}
        key = None if item.record_key is None else str(item.record_key)
        out.append(Reject(row, item.rule, item.rule, str(item.reason), record, key, entity=entity))
    return out


def quarantine_rejects(conn: Any, load_id: str, source: str, file_name: str, rejects: list[Reject]) -> int:
    """One quarantine record per (entity, row, rule) through the shared writer, the row kept as the
    file had it, keyed by its invoice number; the reason starts with the file and its row so that
    the record reads on its own, and the field and file are columns of their own."""
    return write_records(
        conn,
        load_id=load_id,
        source=source,
        records=(
            QuarantineRecord(
                entity=reject.entity,
                row_number=reject.row,
                rule=reject.rule,
                reason=f"{file_name} row {reject.row}, {reject.reason}",
                record=reject.record,
                record_key=reject.key,
                field=None if reject.entity != "invoices" or reject.field == reject.rule else reject.field,
                file_name=file_name,
            )
            for reject in rejects
        ),
    )


def record_rejected_file(
    dsn: str, path: Path, *, source: str, imported_at: dt.datetime, error: str, content: bytes | None = None
) -> None:
    """Record a file refused as a whole in ``ops.file_imports`` (gate_passed false, `error` the
    reason, no rows), in its own transaction. `error` must be safe to show (a BadInputError's
    message, or the kind of an unexpected error): never a value of the file. Does nothing for a
    file that cannot be read at all (there is no content to key it by); never replaces the record
    of a successful import of the same content."""
    if content is None:
        try:
            content = path.read_bytes()
        except OSError:
            return
    sha256 = hashlib.sha256(content).hexdigest()
    with connect(dsn) as conn, conn.transaction():
        conn.execute(
            """insert into ops.file_imports (sha256, file_name, source, load_id, imported_at, rows_read,
                   invoices_loaded, rows_quarantined, gate_passed, mapping, warnings, rows_skipped, error)
               values (%s, %s, %s, %s, %s, 0, 0, 0, false, '{}'::jsonb, '[]'::jsonb, 0, %s)
               on conflict (sha256) do update set file_name = excluded.file_name,
                   imported_at = excluded.imported_at, error = excluded.error
               where not ops.file_imports.gate_passed""",
            (sha256, display_name(path.name), source, f"file:{sha256[:16]}", imported_at, error),
        )
