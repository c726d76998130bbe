"""Ingest from the ERP: extract each entity's increment, pass it through its quality gate, land it.

Called by the `ingest_erp` DAG (through `cartera.tasks`). Contract of :func:`ingest_erp`:
- entities are processed one by one, each in ONE warehouse transaction (lock, read watermark,
  extract, validate, land): a crash leaves that entity as it was, and what earlier entities
  committed stays committed (their watermarks cover exactly what they landed);
- each extract re-reads `overlap` before the watermark (``CARTERA_ERP_EXTRACT_OVERLAP``), so a row
  whose transaction committed after an earlier extract had passed its write_date still lands
  (`cartera.sources.erp` says why); row versions (key, write_date) already landed or quarantined
  are dropped before the gate, so the overlap never lands or quarantines a row version twice;
- rows failing a row-level check go to quarantine and the rest loads; a failed gate (too many
  rejects, or a table-level check) lands quarantine + a load record with ``gate_passed = false``,
  loads no rows and keeps the watermark; the other entities still run, then
  `QualityGateFailedError` is raised naming the failed entities and rules with their counts;
- a rerun after success extracts nothing new and loads nothing twice.
Logs carry entity names and counts only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cartera.db import connect
from cartera.errors import QualityGateFailedError
from cartera.loading.raw_loader import LoadResult, land_batch
from cartera.loading.watermarks import landed_versions, lock_entity, read_watermark, split_overlap
from cartera.logs import get_logger
from cartera.raw_contract import ENTITIES
from cartera.sources import erp

if TYPE_CHECKING:  # pandas is heavy: imported where frames are built
    import pandas as pd
    import psycopg

    from cartera.loading.watermarks import RowVersion

__all__ = ["LoadResult", "ingest_erp"]

log = get_logger(__name__)


def ingest_erp(
    *,
    warehouse_dsn: str,
    erp_dsn: str,
    erp_schema: str = "erp",
    upper_bound: dt.datetime,
    entities: Sequence[str] | None = None,
    max_rejected_share: float | None = None,
    overlap: dt.timedelta | None = None,
) -> list[LoadResult]:
    """Land every ERP entity's rows written up to `upper_bound` (timezone-aware) since its watermark.

    `entities` defaults to all, parents first; `max_rejected_share` overrides the gate threshold;
    `overlap` how far before the watermark to re-read (default: the setting ``erp_extract_overlap``).
    Returns one LoadResult per entity; raises QualityGateFailedError after all ran if any gate
    failed, SourceUnavailableError if the ERP or one of its tables cannot be read.
    """
    from expectations.gate import run_gate  # GX is heavy: loaded when an ingest actually runs

    if upper_bound.tzinfo is None:
        raise ValueError("upper_bound must be timezone-aware (UTC instant of the run)")
    selected = _ordered(entities)
    if overlap is None:
        from cartera.config import get_settings

        overlap = get_settings().erp_extract_overlap
    results: list[LoadResult] = []
    with connect(warehouse_dsn, autocommit=True) as warehouse, erp.open_erp(erp_dsn) as source:
        for entity in selected:
            with warehouse.transaction():
                lock_entity(warehouse, erp.SOURCE, entity)
                watermark = read_watermark(warehouse, erp.SOURCE, entity)
                increment = erp.extract(
                    source, entity, schema=erp_schema, watermark=watermark, upper_bound=upper_bound, overlap=overlap
                )
                batch, late = _drop_landed(warehouse, increment, watermark, overlap)
                gate = run_gate(entity, batch, upper_bound=upper_bound, max_rejected_share=max_rejected_share)
                result = land_batch(
                    warehouse,
                    source=erp.SOURCE,
                    entity=entity,
                    batch=batch,
                    gate=gate,
                    watermark_from=watermark,
                    # A batch of late rows only ends below the watermark: its window still ends there.
                    newest_write=_later(increment.max_write_date, watermark) if len(batch) else None,
                    late=late,
                )
            log.info(
                "ingest erp %s: extracted=%d re_read=%d late=%d loaded=%d quarantined=%d gate_passed=%s",
                entity,
                result.rows_extracted,
                len(increment.frame) - len(batch),
                len(late),
                result.rows_loaded,
                result.rows_quarantined,
                result.gate_passed,
            )
            results.append(result)
    failed = [r for r in results if not r.gate_passed]
    if failed:
        raise QualityGateFailedError(
            "erp: " + ", ".join(r.entity for r in failed),
            {f"{r.entity}.{rule}": count for r in failed for rule, count in r.failures.items()},
        )
    return results


def _drop_landed(
    warehouse: psycopg.Connection, increment: erp.Extract, watermark: dt.datetime | None, overlap: dt.timedelta
) -> tuple[pd.DataFrame, list[RowVersion]]:
    """The increment without the row versions of its overlap that were landed already, and the late ones."""
    if watermark is None or increment.frame.empty:
        return increment.frame, []
    landed = landed_versions(
        warehouse,
        source=erp.SOURCE,
        entity=increment.entity,
        key=increment.key,
        after=watermark - overlap,
        upto=watermark,
    )
    return split_overlap(increment.frame, key=increment.key, watermark=watermark, landed=landed)


def _later(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return max(a, b) if a is not None and b is not None else (a if a is not None else b)


def _ordered(entities: Sequence[str] | None) -> list[str]:
    if entities is None:
        return list(ENTITIES)
    unknown = sorted(set(entities) - set(ENTITIES))
    if unknown:
        raise ValueError(f"unknown entities {unknown}; expected some of {', '.join(ENTITIES)}")
    return [e for e in ENTITIES if e in set(entities)]
