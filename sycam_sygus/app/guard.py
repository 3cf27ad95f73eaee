"""What keeps a run's answer safe: stop signals, the report folder's lock, bounded reads.

SIGINT (Ctrl-C) and SIGTERM (a job scheduler, `timeout`) both ask the run to stop and answer with
the best so far; a second one quits at once. A `--report` folder is locked by the run using it, so
two runs never pair one's answer with the other's report.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import threading
from pathlib import Path
from typing import Callable, Iterator

from ..core.errors import SygusError
from ..core.files import regular_file

EXIT_INTERRUPTED = 130
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
LOCK_NAME = ".sycam.lock"
# A problem file is text of a few kilobytes (the public corpus's largest is 60 KB); a bigger one
# is refused before parsing, which bounds the parse's time and memory.
MAX_PROBLEM_BYTES = 1 << 20



def read_problem(path: str, what: str = "the problem", encoding: str = "utf-8") -> str:
    """A problem's (or an answer's: `what`) text; a special file (FIFO) or one over
    MAX_PROBLEM_BYTES is refused unopened (OSError, ValueError)."""
    size = regular_file(path, what).st_size
    if size > MAX_PROBLEM_BYTES:
        raise ValueError(f"{size:,} bytes; a problem file may hold at most {MAX_PROBLEM_BYTES:,}")
    return Path(path).read_text(encoding=encoding)

class StopSignals:
    """While entered (main thread only): the first SIGINT/SIGTERM sets `stop` and calls `on_stop`;
    a second one writes `farewell()` and quits at once with status 130."""

    def __init__(self, stop: threading.Event):
        self.stop = stop
        self.on_stop: Callable[[], None] = lambda: None  # the CLI's message ("stopping, ...")
        self.farewell: Callable[[], bytes] = lambda: b""  # bytes written before quitting (cursor reset)
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            self._previous = {number: signal.signal(number, self._handle) for number in STOP_SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous = {}

    def _handle(self, signum: int, frame: object) -> None:
        if self.stop.is_set():
            os.write(2, self.farewell() + b"\nsycam-solve: interrupted again, quitting\n")
            os._exit(EXIT_INTERRUPTED)
        self.stop.set()
        self.on_stop()


@contextlib.contextmanager
def locked_folder(folder: Path, path: str) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (created if missing) for the block; a folder another run
    holds is bad input (exit 2), not a shared one."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK, 0o666)
    except OSError as err:
        raise SygusError(f"cannot write the report folder {folder} ({err.strerror or err})", path=path,
                         hint="give --report a folder you can write (it is created if missing)") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            raise SygusError(f"the report folder {folder} is in use by another sycam-solve run", path=path,
                             hint="wait for that run to finish, or give this one another --report folder") from None
        yield
    finally:
        os.close(handle)  # closing drops the lock

