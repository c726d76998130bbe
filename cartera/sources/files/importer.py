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
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from cartera.db import connect
from cartera.errors import BadInputError, QualityGateFailedError
from cartera.loading.quarantine import QuarantineRecord, write_records
from cartera.loading.raw_loader import copy_rows, record_load
from cartera.logs import get_logger
from cartera.raw_contract import raw_columns
from cartera.sources.files.limits import display_name
from cartera.sources.files.mapping import FileMapping
from cartera.sources.files.reader import ParsedFile, read_invoice_file
from cartera.sources.files.records import Reject
from expectations.reference import DEFAULT_MAX_REJECTED_SHARE

if TYPE_CHECKING:
    import pandas as pd

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
    try:
        parsed = read_invoice_file(path, mapping, as_of=import_day)
    except BadInputError as exc:
        record_rejected_file(dsn, Path(path), source=source or "file", imported_at=imported_at, error=str(exc))
        raise
    source = source or parsed.source
    name = display_name(parsed.path.name)
    load_id = f"file:{parsed.sha256[:16]}"
    with connect(dsn) as conn, conn.transaction():
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
        _forget(conn, load_id)
        # Documents may be dated any time on the import's own (UTC) day, not after it.
        upper = dt.datetime.combine(import_day, dt.time.max, tzinfo=dt.UTC)

        invoices, invoice_rows = _invoices(parsed, imported_at)
        gate = run_gate("invoices", invoices, upper_bound=upper, max_rejected_share=max_rejected_share)
        rejects = list(parsed.rejects) + _gate_rejects(gate.rejected, invoice_rows, invoices, parsed, "invoices")
        good_ids = set(gate.good["invoice_id"])
        kept = parsed.invoices[parsed.invoices["invoice_id"].isin(good_ids)]
        frames = {
            "customers": _customers(kept, imported_at),
            "invoices": gate.good,
            **_payments(kept, imported_at),
            "disputes": _disputes(kept, imported_at),
        }
        results = {"invoices": gate}
        for entity in ("customers", "payments", "payment_allocations", "disputes"):
            rows = [int(r) for r in frames[entity]["_source_row"]]
            frames[entity] = frames[entity].drop(columns="_source_row")
            results[entity] = run_gate(entity, frames[entity], upper_bound=upper, max_rejected_share=max_rejected_share)
            rejects += _gate_rejects(results[entity].rejected, rows, frames[entity], parsed, entity)
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
        quarantined = _quarantine(conn, load_id, source, name, rejects)
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
                loaded["invoices"],
                quarantined,
                passed,
                Jsonb(parsed.mapping),
                Jsonb(list(parsed.warnings)),
                sum(len(rows) for rows in parsed.skipped.values()),
            ),
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


def _forget(conn: Any, load_id: str) -> None:
    """An earlier attempt of the same content whose gate failed: its records are redone."""
    conn.execute("delete from quarantine.rejected_rows where load_id = %s", (load_id,))
    conn.execute("delete from ops.ingest_loads where load_id like %s", (f"{load_id}:%",))
    conn.execute("delete from ops.file_imports where load_id = %s", (load_id,))


def _invoices(parsed: ParsedFile, at: dt.datetime) -> tuple[pd.DataFrame, list[int]]:
    import pandas as pd

    frame = parsed.invoices
    rows = pd.DataFrame(
        {
            "invoice_id": frame["invoice_id"],
            "invoice_number": frame["invoice_number"],
            "customer_id": frame["customer_id"],
            "issue_date": frame["issue_date"].dt.date,
            "due_date": frame["due_date"].dt.date,
            "currency": frame["currency"],
            "subtotal": None,
            "tax": None,
            "total": frame["amount"],
            "status": frame["status"],
            "cfdi_uuid": None,
            "payment_method": None,
            "updated_at": at,
        }
    ).astype(object)
    return rows.where(rows.notna(), None), list(frame["source_row"])


def _customers(invoices: pd.DataFrame, at: dt.datetime) -> pd.DataFrame:
    """One customer per id, with the name, RFC and usual credit terms the file shows."""
    import pandas as pd

    rows = []
    for customer_id, group in invoices.groupby("customer_id", sort=True):
        terms = group["credit_terms_days"].dropna()
        usual = int(terms.mode().iloc[0]) if len(terms) else None
        rows.append(
            {
                "customer_id": customer_id,
                "customer_name": _first(group["customer_name"]),
                "rfc": _first(group["rfc"]),
                "tax_regime": None,
                "country_code": _first(group["country"]),
                "state_code": None,
                "city": None,
                "postal_code": None,
                "industry": None,
                "credit_terms_days": usual,
                "credit_limit": None,
                "credit_limit_currency": None,
                "created_at": None,
                "updated_at": at,
                "_source_row": int(group["source_row"].iloc[0]),
            }
        )
    return pd.DataFrame(rows, columns=[*raw_columns("customers"), "_source_row"]).astype(object)


def _first(values: pd.Series) -> Any:
    present = values.dropna()
    return present.iloc[0] if len(present) else None


def _payments(invoices: pd.DataFrame, at: dt.datetime) -> dict[str, pd.DataFrame]:
    """A paid date becomes a payment and its allocation to the invoice (ids derived from the invoice)."""
    import pandas as pd

    paid = invoices[invoices["payment_date"].notna()]
    payments, allocations = [], []
    for row in paid.itertuples(index=False):
        amount = row.paid_amount if row.paid_amount is not None and row.paid_amount == row.paid_amount else row.amount
        day = row.payment_date.date()
        payment_id = f"{row.invoice_id}:paid"
        payments.append(
            {
                "payment_id": payment_id,
                "payment_number": payment_id,
                "customer_id": row.customer_id,
                "payment_date": day,
                "currency": row.currency,
                "amount": amount,
                "method": None,
                "status": "posted",
                "updated_at": at,
                "_source_row": row.source_row,
            }
        )
        allocations.append(
            {
                "allocation_id": payment_id,
                "payment_id": payment_id,
                "invoice_id": row.invoice_id,
                "amount": amount,
                "allocation_date": day,
                "updated_at": at,
                "_source_row": row.source_row,
            }
        )
    payment_columns = [
        "payment_id", "payment_number", "customer_id", "payment_date", "currency", "amount", "method", "status",
        "updated_at", "_source_row",
    ]  # fmt: skip
    allocation_columns = ["allocation_id", "payment_id", "invoice_id", "amount", "allocation_date", "updated_at"]
    return {
        "payments": pd.DataFrame(payments, columns=payment_columns).astype(object),
        "payment_allocations": pd.DataFrame(allocations, columns=[*allocation_columns, "_source_row"]).astype(object),
    }


def _disputes(invoices: pd.DataFrame, at: dt.datetime) -> pd.DataFrame:
    """An invoice flagged as disputed is disputed from its dispute date, or, when the file does not
    give it, from the import (when we learned it): never earlier than we knew."""
    import pandas as pd

    flagged = invoices[invoices["disputed"].fillna(False).astype(bool)]
    rows = [
        {
            "dispute_id": f"{row.invoice_id}:dispute",
            "invoice_id": row.invoice_id,
            "customer_id": row.customer_id,
            "opened_date": row.dispute_opened_date.date() if not pd.isna(row.dispute_opened_date) else at.date(),
            "resolved_date": None,
            "reason": None,
            "status": "open",
            "updated_at": at,
            "_source_row": row.source_row,
        }
        for row in flagged.itertuples(index=False)
    ]
    columns = ["dispute_id", "invoice_id", "customer_id", "opened_date", "resolved_date", "reason", "status"]
    return pd.DataFrame(rows, columns=[*columns, "updated_at", "_source_row"]).astype(object)


def _gate_rejects(
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


def _quarantine(conn: Any, load_id: str, source: str, file_name: str, rejects: list[Reject]) -> int:
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
