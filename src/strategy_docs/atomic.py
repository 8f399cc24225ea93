"""The one way files are written: atomically, so a reader never sees half a file.

The data goes to a temporary file beside the destination, is flushed to disk, and replaces
the destination with `os.replace` in one step; a failure or Ctrl-C leaves the old file as it
was and no temporary file behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)


def stage(path: Path, data: bytes | str) -> Path:
    """Write `data` to a new temporary file beside `path`, flushed to disk, and return it; the
    caller moves it into place with `os.replace` (one file now, or several as one journalled step).

    A file that exists keeps its permissions (an edited parameters file stays as its owner set
    it); a new one is readable by all (published files are for reading, unlike mkstemp's 0600).
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0o644 & ~_UMASK
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write(path: Path, data: bytes | str) -> None:
    """Replace `path` with `data` (text is written as UTF-8, newlines as given)."""
    tmp = stage(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
