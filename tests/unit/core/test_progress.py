"""Progress of long work: counts, rate and time left in the log at most every N seconds and at
the end; on a terminal one line redrawn in place, never on a log file or a pipe."""

from __future__ import annotations

import io
import logging

import pytest

from cartera.progress import Heartbeat, Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_logs_counts_rate_and_time_left_at_most_every_interval(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    caplog.set_level(logging.INFO, logger="cartera.progress")
    progress = Progress("import rows", total=1000, unit="rows", every_seconds=10, stream=io.StringIO(), clock=clock)
    clock.now += 5
    progress.advance(100)  # 5 s: too soon to log
    assert caplog.messages == []
    clock.now += 5
    progress.advance(100)  # 10 s, 200 done: 20 rows/s, 800 left -> 40 s
    assert caplog.messages == ["import rows: 200/1,000 (20 %), 20 rows/s, 40 s left"]
    clock.now += 40
    progress.advance(800)
    progress.finish()
    assert caplog.messages[-1] == "import rows: 1,000/1,000 (100 %), 20 rows/s, in 50 s"


def test_without_a_total_it_counts_without_percentage_or_time_left() -> None:
    clock = Clock()
    progress = Progress("extract", unit="rows", stream=io.StringIO(), clock=clock)
    clock.now += 120
    progress.update(6000)
    assert progress.line() == "extract: 6,000, 50 rows/s"
    assert progress.line(final=True) == "extract: 6,000, 50 rows/s, in 2 min 00 s"


def test_a_terminal_gets_one_line_redrawn_and_a_newline_at_the_end() -> None:
    clock = Clock()
    terminal = Terminal()
    with Progress("generate", total=10, unit="customers", stream=terminal, clock=clock) as progress:
        for _ in range(10):
            clock.now += 1
            progress.advance()
    text = terminal.getvalue()
    assert text.count("\r") == 11 and text.endswith("\n") and text.count("\n") == 1
    assert "generate: 10/10 (100 %), 1 customers/s, in 10 s" in text


def test_a_pipe_or_log_file_gets_no_redrawn_line() -> None:
    clock = Clock()
    stream = io.StringIO()  # not a terminal
    with Progress("generate", total=3, stream=stream, clock=clock) as progress:
        progress.advance(3)
    assert stream.getvalue() == ""


def test_an_error_inside_is_said_in_the_last_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="cartera.progress")
    with pytest.raises(RuntimeError), Progress("load", total=5, stream=io.StringIO(), clock=Clock()) as progress:
        progress.advance(2)
        raise RuntimeError("boom")
    assert caplog.messages[-1].endswith("(stopped by an error)")


def test_heartbeat_echoes_elapsed_time_every_interval_when_not_on_a_terminal() -> None:
    clock = Clock()
    said: list[str] = []
    beat = Heartbeat("warehouse", echo=said.append, every_seconds=60, stream=io.StringIO(), clock=clock)
    clock.now += 30
    beat.beat()
    assert said == []
    clock.now += 45
    beat.beat()
    assert said == ["  warehouse: running for 1 min 15 s"]
