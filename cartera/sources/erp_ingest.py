"""Ingest from the ERP: extract each entity's increment, pass it through its quality gate, land it.

Called by the `ingest_erp` DAG (through `cartera.tasks`). Contract of :func:`ingest_erp`:
- entities are processed one by one, each in ONE warehouse transaction (lock, read watermark,
  extract, validate, land): a crash leaves that entity as it was, and what earlier entities
  committed stays committed (their watermarks cover exactly what they landed);
- within that transaction an entity's window streams from the ERP as COPY text and is validated
  and landed `chunk_rows` rows at a time (`cartera.sources.erp_stream`), so memory is bounded by a
  chunk, not by the table; the gate's verdict is still the whole window's: the rejected share is
  over every row, a table-level failure in any chunk fails it, and a key repeated anywhere in the
  window is validated in one piece so the uniqueness check sees both copies. Rows are numbered
  in the window as read (the overlap's first), as one piece would number them;
- each extract re-reads `overlap` before the watermark (``CARTERA_ERP_EXTRACT_OVERLAP``), so a row
  whose transaction committed after an earlier extract had passed its write_date still lands
  (`cartera.sources.erp` says why); row versions (key, write_date) already landed or quarantined
  are dropped before the gate, so the overlap never lands or quarantines a row version twice;
- rows failing a row-level check go to quarantine and the rest loads; a failed gate (too many
  rejects, or a table-level check) lands quarantine + a load record with ``gate_passed = false``,
  takes back the chunks it had landed, and keeps the watermark; the other entities still run, then
  `QualityGateFailedError` is raised naming the failed entities and rules with their counts;
- a rerun after success extracts nothing new and loads nothing twice.
Logs carry entity names and counts only (and progress: rows, rate, time left).
"""

from __future__ import annotations

import datetime as dt
import itertools
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, suppress
from typing import TYPE_CHECKING, Any

from psycopg import sql

from cartera.db import connect
from cartera.errors import QualityGateFailedError
from cartera.loading.quarantine import QuarantineRecord, write_records
from cartera.loading.raw_loader import LoadResult, copy_lines, forget_earlier_attempt, record_load
from cartera.loading.watermarks import (
    advance_watermark,
    landed_versions,
    load_id,
    lock_entity,
    read_watermark,
    split_overlap,
)
from cartera.logs import get_logger
from cartera.progress import Progress
from cartera.raw_contract import ENTITIES
from cartera.sources import erp, erp_stream

if TYPE_CHECKING:
    import psycopg

    from cartera.loading.watermarks import RowVersion
    from expectations.gate import GateResult

__all__ = ["LoadResult", "ingest_erp"]

log = get_logger(__name__)

CHUNK_ROWS = 200_000
_START = dt.datetime.min.replace(tzinfo=dt.UTC)
_POSITION = "_position"


def ingest_erp(
    *,
    warehouse_dsn: str,
    erp_dsn: str,
    erp_schema: str = "erp",
    upper_bound: dt.datetime,
    entities: Sequence[str] | None = None,
    max_rejected_share: float | None = None,
    overlap: dt.timedelta | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> list[LoadResult]:
    """Land every ERP entity's rows written up to `upper_bound` (timezone-aware) since its watermark.

    `entities` defaults to all, parents first; `max_rejected_share` overrides the gate threshold;
    `overlap` how far before the watermark to re-read (default: the setting ``erp_extract_overlap``);
    `chunk_rows` how many rows are validated and landed at a time (memory is bounded by it).
    Returns one LoadResult per entity; raises QualityGateFailedError after all ran if any gate
    failed, SourceUnavailableError if the ERP or one of its tables cannot be read.
    """
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
                result = _ingest_entity(
                    warehouse,
                    source,
                    entity,
                    schema=erp_schema,
                    upper_bound=upper_bound,
                    overlap=overlap,
                    max_rejected_share=max_rejected_share,
                    chunk_rows=chunk_rows,
                )
            results.append(result)
    failed = [r for r in results if not r.gate_passed]
    if failed:
        raise QualityGateFailedError(
            "erp: " + ", ".join(r.entity for r in failed),
            {f"{r.entity}.{rule}": count for r in failed for rule, count in r.failures.items()},
        )
    return results


def _ingest_entity(
    warehouse: psycopg.Connection,
    source: psycopg.Connection,
    entity: str,
    *,
    schema: str,
    upper_bound: dt.datetime,
    overlap: dt.timedelta,
    max_rejected_share: float | None,
    chunk_rows: int,
) -> LoadResult:
    """One entity's window, extracted, validated and landed a chunk at a time in the caller's
    transaction: the gate's verdict is on the whole window (rejected share over every row, any
    table-level failure), so a failed gate takes back the chunks it landed before it knew."""
    from expectations.gate import run_gate, threshold  # GX is heavy: loaded when an ingest actually runs
    from expectations.suites import suite_for

    lock_entity(warehouse, erp.SOURCE, entity)
    watermark = read_watermark(warehouse, erp.SOURCE, entity)
    lower = watermark - overlap if watermark is not None else _START
    mapping = erp.MAPPINGS[entity]
    with erp.reading(schema, mapping):
        erp.require_table(source, schema, mapping.table)
        types = erp_stream.column_types(source, entity, schema=schema)
        unique_key = erp_stream.key_is_unique(source, entity, schema=schema)
        window = erp_stream.survey(source, entity, schema=schema, lower=lower, upper=upper_bound, unique_key=unique_key)
        # The overlap (rows at or before the watermark) is read first and whole: at most a day of writes.
        re_read: list[bytes] = []
        if watermark is not None and lower < watermark:
            re_read = [
                line
                for chunk in erp_stream.stream(
                    source, entity, schema=schema, lower=lower, upper=min(watermark, upper_bound), chunk_rows=chunk_rows
                )
                for line in chunk
            ]
    kept, late = _split_overlap(warehouse, entity, re_read, types, watermark, overlap)
    batch_rows = window.rows - len(re_read) + len(kept)
    newest_write = _later(window.newest, watermark) if batch_rows else None
    watermark_to = newest_write if newest_write is not None else watermark
    this_load = load_id(erp.SOURCE, entity, watermark, watermark_to, late=late)
    forget_earlier_attempt(warehouse, entity, this_load)
    # A key repeated in the window must meet its twin in one gate run (the uniqueness check).
    size = max(batch_rows, 1) if window.repeated_key else chunk_rows
    tally = _Tally()
    checked = suite_for(entity).checked_columns()
    with Progress(f"ingest erp {entity}", total=batch_rows, unit="rows") as progress, erp.reading(schema, mapping):
        main = erp_stream.stream(
            source,
            entity,
            schema=schema,
            lower=watermark if watermark is not None else lower,
            upper=upper_bound,
            chunk_rows=size,
        )
        # Three stages at once, each at most a chunk ahead: a thread reads the next chunk from the
        # ERP (which formats rows while the client validates instead of waiting on a full socket),
        # this thread validates one, and a thread lands the one before it (the warehouse parses
        # and stores a COPY while the client would otherwise wait).
        # `main` is closed whatever happens: a COPY left half-read would hold the ERP connection in
        # COPY mode, and closing that connection would then wait forever on a server still sending.
        with closing(main), _Ahead(_regroup(itertools.chain([kept], main), size)) as chunks, _Writer() as writer:
            for lines in chunks:
                gate = run_gate(
                    entity, erp_stream.gate_frame(lines, types, checked), upper_bound=upper_bound, max_rejected_share=1
                )
                rejected = {int(row) for row in gate.rejected["row_number"]} if len(gate.rejected) else set()
                records = [
                    QuarantineRecord(
                        entity=entity,
                        row_number=tally.rows + int(item.row_number),
                        rule=item.rule,
                        reason=item.reason,
                        record=erp_stream.record(lines[int(item.row_number) - 1], types),
                        record_key=item.record_key,
                    )
                    for item in gate.rejected.itertuples(index=False)
                ]
                good = (
                    [line for position, line in enumerate(lines, 1) if position not in rejected] if rejected else lines
                )
                writer.submit(_land, warehouse, entity, this_load, records, good)
                tally.add(gate, len(lines), len(rejected), len(good))
                progress.advance(len(lines))
    limit = threshold(entity, max_rejected_share)
    failures = dict(tally.failures)
    share = tally.rejected / tally.rows if tally.rows else 0.0
    if share > limit:
        failures[f"rejected_share_above_{limit:.0%}"] = tally.rejected
    passed = not tally.table_failed and share <= limit
    loaded = tally.loaded
    if not passed and loaded:
        warehouse.execute(
            sql.SQL("delete from {} where load_id = %s").format(sql.Identifier("raw", entity)), (this_load,)
        )
        loaded = 0
    if passed and newest_write is not None:
        advance_watermark(warehouse, erp.SOURCE, entity, newest_write)
    record_load(
        warehouse,
        load_id=this_load,
        source=erp.SOURCE,
        entity=entity,
        rows_extracted=tally.rows,
        rows_loaded=loaded,
        rows_quarantined=tally.rejected,
        gate_passed=passed,
        watermark_from=watermark,
        watermark_to=watermark_to,
    )
    log.info(
        "ingest erp %s: extracted=%d re_read=%d late=%d loaded=%d quarantined=%d gate_passed=%s",
        entity,
        tally.rows,
        len(re_read) - len(kept),
        len(late),
        loaded,
        tally.rejected,
        passed,
    )
    return LoadResult(entity, this_load, tally.rows, loaded, tally.rejected, passed, watermark_to, failures)


def _land(
    warehouse: psycopg.Connection, entity: str, this_load: str, records: list[QuarantineRecord], good: list[bytes]
) -> None:
    write_records(warehouse, load_id=this_load, source=erp.SOURCE, records=records)
    copy_lines(warehouse, entity, good, load_id=this_load, source=erp.SOURCE)


class _Ahead:
    """The items of an iterator produced in a thread, at most `depth` ahead of the caller. The
    producer's error is raised to the caller at the item it failed on; leaving early stops the
    producer (at its next item) and waits for it, so nothing uses its connection afterwards."""

    _END = object()

    def __init__(self, items: Iterator[list[bytes]], depth: int = 1) -> None:
        self._items = items
        self._queue: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="ingest-reader", daemon=True)

    def _produce(self) -> None:
        try:
            for item in self._items:
                if not self._put(item, None):
                    return
            self._put(self._END, None)
        except BaseException as error:  # noqa: BLE001 - handed to the caller, raised there
            self._put(self._END, error)
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()

    def _put(self, item: object, error: BaseException | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put((item, error), timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def __iter__(self) -> Iterator[list[bytes]]:
        while True:
            item, error = self._queue.get()
            if error is not None:
                raise error
            if item is self._END:
                return
            yield item  # type: ignore[misc]  # every item but the end marker is a chunk

    def __enter__(self) -> _Ahead:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        while self._thread.is_alive():
            # A producer waiting on a full queue gets its place and then sees the stop; one that
            # has finished is joined at once (a blocking get here cost 0.1 s per entity).
            with suppress(queue.Empty):
                self._queue.get_nowait()
            self._thread.join(timeout=0.01)


class _Writer:
    """At most one write to the warehouse in flight, in a thread; the next waits for it, and leaving
    waits for the last (its error is raised here), so the caller's transaction ends after them."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
        self._last: Future[None] | None = None

    def submit(self, write: Callable[..., None], *args: Any) -> None:
        self.wait()
        self._last = self._pool.submit(write, *args)

    def wait(self) -> None:
        last, self._last = self._last, None
        if last is not None:
            last.result()

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                self.wait()
        finally:
            self._pool.shutdown(wait=True)


class _Tally:
    """The gate's counts over the chunks of one window."""

    def __init__(self) -> None:
        self.rows = 0
        self.rejected = 0
        self.loaded = 0
        self.table_failed = False
        self.failures: Counter[str] = Counter()

    def add(self, gate: GateResult, rows: int, rejected: int, loaded: int) -> None:
        self.rows += rows
        self.rejected += rejected
        self.loaded += loaded
        self.table_failed |= gate.table_failed
        self.failures.update(gate.failures)


def _split_overlap(
    warehouse: psycopg.Connection,
    entity: str,
    lines: list[bytes],
    types: dict[str, str],
    watermark: dt.datetime | None,
    overlap: dt.timedelta,
) -> tuple[list[bytes], list[RowVersion]]:
    """The re-read lines still to land (their versions not landed or quarantined yet), and the late ones."""
    import pandas as pd

    if watermark is None or not lines:
        return lines, []
    key = erp.MAPPINGS[entity].key
    records = [erp_stream.record(line, types) for line in lines]
    frame = pd.DataFrame(
        {
            **{column: [r[column] for r in records] for column in key},
            "updated_at": [r["updated_at"] for r in records],
            _POSITION: range(len(lines)),
        },
        dtype=object,
    )
    landed = landed_versions(
        warehouse, source=erp.SOURCE, entity=entity, key=key, after=watermark - overlap, upto=watermark
    )
    kept, late = split_overlap(frame, key=key, watermark=watermark, landed=landed)
    return [lines[int(position)] for position in kept[_POSITION]], late


def _regroup(chunks: Iterable[list[bytes]], size: int) -> Iterator[list[bytes]]:
    """The lines of `chunks` in order, `size` at a time (the last fewer; none when there are none)."""
    pending: list[bytes] = []
    for chunk in chunks:
        pending.extend(chunk)
        while len(pending) >= size:
            yield pending[:size]
            del pending[:size]
    if pending:
        yield pending


def _later(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return max(a, b) if a is not None and b is not None else (a if a is not None else b)


def _ordered(entities: Sequence[str] | None) -> list[str]:
    if entities is None:
        return list(ENTITIES)
    unknown = sorted(set(entities) - set(ENTITIES))
    if unknown:
        raise ValueError(f"unknown entities {unknown}; expected some of {', '.join(ENTITIES)}")
    return [e for e in ENTITIES if e in set(entities)]
