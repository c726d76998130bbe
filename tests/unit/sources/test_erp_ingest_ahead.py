"""The ingest's reader thread (`_Ahead`): chunks in order, the producer's error raised where it
happened, and a caller leaving early stops the producer and closes its stream."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from cartera.sources.erp_ingest import _Ahead


def chunks(count: int, *, fail_at: int | None = None, closed: threading.Event | None = None) -> Iterator[list[bytes]]:
    try:
        for n in range(count):
            if n == fail_at:
                raise ConnectionError("the ERP went away")
            yield [str(n).encode()]
    finally:
        if closed is not None:
            closed.set()


def test_chunks_come_in_order() -> None:
    with _Ahead(chunks(50)) as ahead:
        assert [c[0] for c in ahead] == [str(n).encode() for n in range(50)]


def test_the_producers_error_is_raised_after_the_chunks_before_it() -> None:
    seen = []
    with pytest.raises(ConnectionError), _Ahead(chunks(10, fail_at=4)) as ahead:
        seen.extend(c[0] for c in ahead)
    assert seen == [b"0", b"1", b"2", b"3"]


def test_leaving_early_stops_the_producer_and_closes_its_stream() -> None:
    closed = threading.Event()
    with pytest.raises(RuntimeError), _Ahead(chunks(1_000_000, closed=closed)) as ahead:
        for chunk in ahead:
            if chunk == [b"3"]:
                raise RuntimeError("the gate broke")
    assert closed.is_set()
    assert not ahead._thread.is_alive()
