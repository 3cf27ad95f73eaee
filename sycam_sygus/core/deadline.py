"""One run's clock: a deadline and a stop flag that every long computation checks.

`sycam-solve` makes one `Deadline` when `main` starts, so parsing, opening the backend, the
terminals, the search and the report all spend one `:sycam.time-limit`. Long computations
(Score-CAM's and Ablation-CAM's K model passes per image, big batches) work in chunks and call
`check()` between them; it raises `Stopped` once the time is up or a stop (SIGINT, SIGTERM) was
asked for, so at most one chunk's work is lost.
"""
from __future__ import annotations

import math
import threading
import time

# Seconds past the time limit within which the answer is printed (CAM-THEORY §7). Model-batch
# loops do not start a batch that would end past the deadline at the pace of the previous one, so
# what runs over is a batch slower than its predecessor, a first batch, or non-batched work.
ANSWER_GRACE = 5.0


class Stopped(Exception):
    """A computation gave up because its deadline passed or a stop was asked for."""


class Deadline:
    """A point on the monotonic clock (or none) plus a stop flag shared with the signal handlers."""

    def __init__(self, seconds: float | None = None, stop: threading.Event | None = None,
                 start: float | None = None):
        began = time.monotonic() if start is None else start
        self.end = math.inf if seconds is None else began + max(seconds, 0.0)
        self.stop = stop if stop is not None else threading.Event()

    def remaining(self) -> float:
        """Seconds left (0 once passed; inf without a limit)."""
        return max(self.end - time.monotonic(), 0.0)

    def expired(self) -> bool:
        """Is the time up, or was a stop asked for?"""
        return self.stop.is_set() or time.monotonic() >= self.end

    def check(self, upcoming: float = 0.0) -> None:
        """Raise `Stopped` when `expired()`, or when a next chunk taking `upcoming` seconds (say, as
        long as the last one) would end past the deadline; long loops call this between chunks."""
        if self.stop.is_set() or time.monotonic() + upcoming >= self.end:
            raise Stopped

    def share(self, seconds: float, stop: threading.Event | None = None) -> "Deadline":
        """A deadline `seconds` from now, never past this one's end (a phase's own budget)."""
        child = Deadline(seconds, stop if stop is not None else self.stop)
        child.end = min(child.end, self.end)
        return child


NEVER = Deadline()  # what a backend checks when no run gave it a deadline (the Python API)
