"""Land an invoice export in raw.* through the same quality gate and quarantine as every source.

Contract of :func:`import_file`:
- one warehouse transaction: either every entity's good rows land (customers, invoices, and the
  payments, allocations and disputes the file implies) or nothing does;
- rows the reader could not read, and rows the gate rejects, go to quarantine.rejected_rows with
  the file's own row number, the rule, the field and a reason naming the column (the same writer
  and load record as the ERP ingest: :mod:`cartera.loading`);
- a file the reader refuses as a whole raises BadInputError and is recorded in ops.file_imports
  with its reason (no rows);
- a gate that fails (too many rejects) writes quarantine and load records, lands no row and raises
  QualityGateFailedError;
- idempotent by content: the same bytes imported again load nothing (``already_imported``); a
  corrected file is a new import and its rows supersede the earlier ones (newer updated_at);
- invoices land under their normalised number (:mod:`invoice_keys`), so the same book saved again
  with other formatting (leading zeros stripped, case, spaces) lands new versions of the same
  invoices, never a second copy of the book;
- what was assumed is recorded: the default country customers were tagged with (no country column,
  no ``--country``) is in the summary and in ``ops.file_imports.warnings``, with the columns that
  were not used and those refused as outcomes.

The rows each entity lands as are built in :mod:`cartera.sources.files.raw_frames`; the records
an import keeps (``ops.file_imports``, quarantine) are written by
:mod:`cartera.sources.files.import_records`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cartera.db import connect
from cartera.errors import BadInputError, QualityGateFailedError
from cartera.loading.raw_loader import copy_rows, record_load
from cartera.logs import get_logger
from cartera.progress import Progress
from cartera.sources.files.import_records import (
    forget_failed_attempt,
    gate_rejects,
    quarantine_rejects,
    record_import,
    record_rejected_file,
)
from cartera.sources.files.limits import display_name
from cartera.sources.files.mapping import FileMapping
from cartera.sources.files.raw_frames import customer_rows, dispute_rows, invoice_rows, payment_rows
from cartera.sources.files.reader import ParsedFile, read_invoice_file
from expectations.reference import DEFAULT_MAX_REJECTED_SHARE

log = get_logger(__name__)
ENTITIES = ("customers", "invoices", "payments", "payment_allocations", "disputes")


@dataclass(frozen=True)
class ImportSummary:
    """What an import did (counts and ids only: safe to log and print)."""

    file_name: str
    sha256: str
    load_id: str
    source: str
    already_imported: bool
    rows_read: int
    loaded: Mapping[str, int] = field(default_factory=dict)
    quarantined: int = 0
    gate_passed: bool = True
    warnings: tuple[str, ...] = ()
    mapping: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, Any] = field(default_factory=dict)
    country_assumed: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file_name,
            "sha256": self.sha256,
            "load_id": self.load_id,
            "source": self.source,
            "already_imported": self.already_imported,
            "rows_read": self.rows_read,
            "loaded": dict(self.loaded),
            "quarantined": self.quarantined,
            "gate_passed": self.gate_passed,
            "mapping": dict(self.mapping),
            "columns": dict(self.columns),
            "country_assumed": self.country_assumed,
            "warnings": list(self.warnings),
        }


def import_file(
    dsn: str,
    path: Path | str,
    mapping: FileMapping | Path | str | None = None,
    *,
    imported_at: dt.datetime,
    source: str | None = None,
    max_rejected_share: float | None = None,
) -> ImportSummary:
    """Read `path` with `mapping` and land it (see the module docstring). BadInputError for a file
    that cannot be read as a whole; QualityGateFailedError after recording a failed gate.

    `imported_at` (timezone-aware) is the import's instant, resolved by the entry point (the CLI
    command, the drop-folder task's run): it stamps the rows and bounds their dates to its day, so
    importing the same file again for that instant gives the same result whenever it runs."""
    from expectations.gate import run_gate

    if imported_at.tzinfo is None:
        raise ValueError("imported_at must be timezone-aware (the import's instant, UTC)")
    import_day = imported_at.astimezone(dt.UTC).date()
    # Steps, not rows: reading the file, then a gate per entity of the file, then landing each entity.
    progress = Progress(f"import {display_name(Path(path).name)}", total=1 + 2 * len(ENTITIES), unit="steps")
    try:
        parsed = read_invoice_file(path, mapping, as_of=import_day)
    except BadInputError as exc:
        progress.finish(failed=True)
        record_rejected_file(dsn, Path(path), source=source or "file", imported_at=imported_at, error=str(exc))
        raise
    progress.advance()
    source = source or parsed.source
    name = display_name(parsed.path.name)
    load_id = f"file:{parsed.sha256[:16]}"
    with progress, connect(dsn) as conn, conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 11))", (parsed.sha256,))
        earlier = conn.execute(
            "select gate_passed, invoices_loaded from ops.file_imports where sha256 = %s", (parsed.sha256,)
        ).fetchone()
        if earlier is not None and earlier[0]:
            log.info("import %s: same content already imported (load %s): nothing to do", name, load_id)
            return ImportSummary(
                parsed.path.name,
                parsed.sha256,
                load_id,
                source,
                True,
                parsed.rows_read,
                mapping=parsed.mapping,
                columns=_columns(parsed),
                country_assumed=parsed.country_assumed,
            )
        forget_failed_attempt(conn, load_id)
        # Documents may be dated any time on the import's own (UTC) day, not after it.
        upper = dt.datetime.combine(import_day, dt.time.max, tzinfo=dt.UTC)

        invoices, file_rows = invoice_rows(parsed, imported_at)
        gate = run_gate("invoices", invoices, upper_bound=upper, max_rejected_share=max_rejected_share)
        progress.advance()
        rejects = list(parsed.rejects) + gate_rejects(gate.rejected, file_rows, invoices, parsed, "invoices")
        good_ids = set(gate.good["invoice_id"])
        kept = parsed.invoices[parsed.invoices["invoice_id"].isin(good_ids)]
        frames = {
            "customers": customer_rows(kept, imported_at),
            "invoices": gate.good,
            **payment_rows(kept, imported_at),
            "disputes": dispute_rows(kept, imported_at),
        }
        results = {"invoices": gate}
        for entity in ("customers", "payments", "payment_allocations", "disputes"):
            rows = [int(r) for r in frames[entity]["_source_row"]]
            frames[entity] = frames[entity].drop(columns="_source_row")
            results[entity] = run_gate(entity, frames[entity], upper_bound=upper, max_rejected_share=max_rejected_share)
            rejects += gate_rejects(results[entity].rejected, rows, frames[entity], parsed, entity)
            progress.advance()
        # The file's share of unusable rows counts what the reader rejected too, not only the gate's.
        limit = max_rejected_share if max_rejected_share is not None else DEFAULT_MAX_REJECTED_SHARE
        bad_rows = len({r.row for r in rejects if r.entity == "invoices"})
        readable = len(parsed.invoices) + len({r.row for r in parsed.rejects})
        file_share_ok = readable == 0 or bad_rows / readable <= limit
        passed = file_share_ok and all(r.passed for r in results.values())
        loaded: dict[str, int] = {}
        for entity in ENTITIES:
            good = results[entity].good if entity != "invoices" else gate.good
            if entity != "invoices" and not results[entity].good.empty:
                # Children of an invoice another gate rejected must not land without it.
                good = good[good["invoice_id"].isin(good_ids)] if "invoice_id" in good.columns else good
            loaded[entity] = copy_rows(conn, entity, good, load_id=load_id, source=source) if passed else 0
            progress.advance()
        quarantined = quarantine_rejects(conn, load_id, source, name, rejects)
        for entity in ENTITIES:
            record_load(
                conn,
                load_id=f"{load_id}:{entity}",
                source=source,
                entity=entity,
                rows_extracted=len(frames[entity]) + (len(parsed.rejects) if entity == "invoices" else 0),
                rows_loaded=loaded[entity],
                rows_quarantined=len({r.row for r in rejects if r.entity == entity}),
                gate_passed=results[entity].passed and (entity != "invoices" or file_share_ok),
            )
        record_import(
            conn,
            parsed,
            name=name,
            source=source,
            load_id=load_id,
            imported_at=imported_at,
            invoices_loaded=loaded["invoices"],
            quarantined=quarantined,
            passed=passed,
        )
        failures = {f"{e}.{rule}": n for e, r in results.items() for rule, n in r.failures.items()}
        if not file_share_ok:
            failures[f"invoices.rejected_share_above_{limit:.0%}"] = bad_rows
            for rule in {r.rule for r in parsed.rejects}:
                failures[f"invoices.{rule}"] = len({r.row for r in parsed.rejects if r.rule == rule})
    summary = ImportSummary(
        name,
        parsed.sha256,
        load_id,
        source,
        False,
        parsed.rows_read,
        loaded,
        len({r.row for r in rejects}),
        passed,
        parsed.warnings,
        parsed.mapping,
        _columns(parsed),
        parsed.country_assumed,
    )
    log.info(
        "import %s: read=%d loaded=%s quarantined=%d gate_passed=%s",
        name,
        parsed.rows_read,
        loaded,
        summary.quarantined,
        passed,
    )
    if not passed:
        raise QualityGateFailedError(f"file {name}", failures)
    return summary


def _columns(parsed: ParsedFile) -> dict[str, Any]:
    return parsed.columns.as_dict() if parsed.columns is not None else {}
