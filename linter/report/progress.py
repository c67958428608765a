"""A progress line on stderr for long runs: hosts done, rate and time left.

Drawn only when the stream is a terminal, and only once the run has lasted ``delay`` seconds
(short runs stay silent); redrawn at most ten times a second; erased when the run ends, so the
terminal keeps only the report and the errors.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO, TypeVar

T = TypeVar("T")

_WIDTH = 24


def _duration(seconds: float) -> str:
    s = int(seconds + 0.5)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class Progress:
    """Progress of a run made of stages (``stage``), each counting ``what`` up to a total."""

    def __init__(
        self,
        stream: TextIO | None = None,
        delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        try:
            self.enabled = self.stream.isatty()
        except (AttributeError, ValueError, OSError):
            self.enabled = False
        self.delay = delay
        self.clock = clock
        self.began = clock()
        self.label = ""
        self.what = "hosts"
        self.total: int | None = None
        self.count = 0
        self._stage_began = self.began
        self._drawn_at: float | None = None
        self.shown = False

    def stage(self, label: str, total: int | None, what: str = "hosts") -> None:
        """Start counting a new stage (``total`` None: a stage without a count)."""
        self.label, self.total, self.what, self.count = label, total, what, 0
        self._stage_began = self.clock()
        self._drawn_at = None
        self._maybe_draw()

    def advance(self, n: int = 1) -> None:
        self.count += n
        if self.enabled:
            self._maybe_draw()

    def track(self, items: Iterable[T]) -> Iterator[T]:
        """Yield ``items``, counting each one."""
        for item in items:
            yield item
            self.advance()

    def close(self) -> None:
        """Erase the line (when one was drawn)."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def _maybe_draw(self) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if now - self.began < self.delay:
            return
        if self._drawn_at is not None and now - self._drawn_at < 0.1:
            return
        self._drawn_at = now
        self.stream.write("\r" + self.line(now) + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def line(self, now: float) -> str:
        """The text of the progress line at time ``now``."""
        head = f"memmap-lint: {self.label}"
        if self.total is None:
            elapsed = now - self._stage_began
            if self.count and elapsed > 0:
                head += f" {self.count:,} {self.what}  {self.count / elapsed:,.0f}/s"
            return f"{head} ({_duration(now - self.began)})"
        done = min(self.count, self.total)
        share = done / self.total if self.total else 1.0
        filled = int(share * _WIDTH)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        elapsed = now - self._stage_began
        text = f"{head} [{bar}] {done:,}/{self.total:,} {self.what}"
        if elapsed > 0 and done:
            rate = done / elapsed
            text += f"  {rate:,.0f}/s  {_duration((self.total - done) / rate)} left"
        return text
