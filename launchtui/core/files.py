"""Writing files so that nothing half-written ever carries its final name."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PARTIAL_SUFFIX = ".partial"


def partial_path(path: Path) -> Path:
    """The temporary name a file is written under before it is renamed to `path`."""
    return path.with_name(f".{path.name}{PARTIAL_SUFFIX}")


def write_atomic(path: Path, text: str, *, overwrite: bool = True) -> None:
    """Write `text` under a temporary name, fsync, then rename it to `path`; mode 0600.

    With `overwrite=False` an existing `path` is left alone (FileExistsError). On any
    failure (a full disk, say) the temporary file is removed and `path` is untouched.
    """
    tmp = partial_path(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a stale temp file may have been created with another mode
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if `path` exists: no clobbering, no race
            tmp.unlink()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)
