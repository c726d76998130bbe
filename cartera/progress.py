"""Progress of long work: counts, rate and time left, to the log and, on a terminal, one line
rewritten in place.

Generation, imports, ingest and the demo's stages run for minutes on a big book; a person at a
terminal should see that they move, and an Airflow task's log should say how far they got. One
:class:`Progress` per piece of work::

    with Progress("import rows", total=len(rows), unit="rows") as progress:
        for chunk in chunks:
            ...
            progress.advance(len(chunk))

The log gets a line at most every ``every_seconds`` (and one at the end); the terminal line is
redrawn at most a few times a second. Only counts go out, never what is being counted (no names,
addresses or amounts of a customer).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from cartera.logs import get_logger

_log = get_logger(__name__)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """How far one piece of work got. `total` may be None when it is not known in advance (then
    no percentage and no time left). Not thread-safe: one owner advances it."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "rows",
        every_seconds: float = 10.0,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self.every_seconds = every_seconds
        self._stream = stream if stream is not None else sys.stderr
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._clock = clock
        self.started = clock()
        self._last_log = self.started
        self._last_draw = float("-inf")
        self._finished = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.finish(failed=kind is not None)

    def advance(self, count: int = 1) -> None:
        """`count` more units done."""
        self.update(self.done + count)

    def update(self, done: int) -> None:
        """`done` units done in all; logs and redraws when it is time."""
        self.done = done
        now = self._clock()
        if now - self._last_log >= self.every_seconds:
            self._last_log = now
            _log.info("%s", self.line(now))
        if self._tty and now - self._last_draw >= 0.2:
            self._last_draw = now
            self._stream.write("\r" + self.line(now) + "\x1b[K")
            self._stream.flush()

    def finish(self, *, failed: bool = False) -> None:
        """The last line: to the log always, and on the terminal ended with a newline."""
        if self._finished:
            return
        self._finished = True
        now = self._clock()
        line = self.line(now, final=True) + (" (stopped by an error)" if failed else "")
        _log.info("%s", line)
        if self._tty:
            self._stream.write("\r" + line + "\x1b[K\n")
            self._stream.flush()

    def rate(self, now: float | None = None) -> float:
        elapsed = (self._clock() if now is None else now) - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self, now: float | None = None, *, final: bool = False) -> str:
        """e.g. ``import rows: 12,000/25,000 (48 %), 1,234 rows/s, 10 s left``."""
        now = self._clock() if now is None else now
        rate = self.rate(now)
        count = f"{self.done:,}" if self.total is None else f"{self.done:,}/{self.total:,}"
        parts = [f"{self.label}: {count}"]
        if self.total:
            parts[0] += f" ({100 * self.done / self.total:.0f} %)"
        parts.append(f"{rate:,.0f} {self.unit}/s")
        if final:
            parts.append(f"in {_duration(now - self.started)}")
        elif self.total is not None and rate > 0:
            parts.append(f"{_duration(max(self.total - self.done, 0) / rate)} left")
        return ", ".join(parts)


class Heartbeat:
    """For work that reports no counts (a subprocess, a dbt build): how long it has been running,
    on a terminal line redrawn every second and to `echo` every `every_seconds` otherwise."""

    def __init__(
        self,
        label: str,
        *,
        echo: Callable[[str], None] = print,
        every_seconds: float = 60.0,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self._echo = echo
        self.every_seconds = every_seconds
        self._stream = stream if stream is not None else sys.stderr
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._clock = clock
        self.started = clock()
        self._last_echo = self.started

    def beat(self, status: str = "") -> None:
        now = self._clock()
        line = f"{self.label}: running for {_duration(now - self.started)}" + (f" ({status})" if status else "")
        if self._tty:
            self._stream.write("\r  " + line + "\x1b[K")
            self._stream.flush()
        elif now - self._last_echo >= self.every_seconds:
            self._last_echo = now
            self._echo("  " + line)

    def clear(self) -> None:
        if self._tty:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
