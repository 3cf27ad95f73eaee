"""Opening a file named by the user without hanging on it: special files are refused first."""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def regular_file(path: str | Path, what: str) -> os.stat_result:
    """`path`'s stat when it is a regular file; an OSError (ENOENT, EISDIR, or EINVAL for a FIFO,
    device or socket) otherwise, before anything opens it: opening a FIFO would block."""
    status = os.stat(path)
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"{what} is a folder, not a file")
    if not stat.S_ISREG(status.st_mode):
        raise OSError(errno.EINVAL, f"{what} is a special file (FIFO, device or socket), not a regular file")
    return status
