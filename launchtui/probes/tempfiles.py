"""The temp/upload directory on this machine: how many files, how big, how old."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

MAX_WALK_ENTRIES = 20_000


@dataclass(frozen=True)
class DirStats:
    path: Path
    exists: bool
    is_dir: bool = False
    files: int = 0
    bytes: int = 0
    oldest_age_s: float | None = None
    stale: int = 0  # files older than the age limit
    capped: bool = False
    error: str | None = None


def measure_dir(path: Path, stale_after_s: float, cap: int = MAX_WALK_ENTRIES) -> DirStats:
    """Size, file count and oldest file age of a directory, visiting at most `cap` entries."""
    try:
        if not path.exists():
            return DirStats(path, exists=False)
        if not path.is_dir():
            return DirStats(path, exists=True, is_dir=False)
    except OSError as exc:
        return DirStats(path, exists=True, error=f"{exc.filename}: {exc.strerror}")
    now = time.time()
    files = total = stale = visited = 0
    oldest: float | None = None
    error: str | None = None
    stack = [path]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    visited += 1
                    if visited > cap:
                        return DirStats(path, True, True, files, total, oldest, stale, True, error)
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        st = entry.stat(follow_symlinks=False)
                        age = max(0.0, now - st.st_mtime)
                        files, total = files + 1, total + st.st_size
                        oldest = age if oldest is None else max(oldest, age)
                        stale += age > stale_after_s
        except OSError as exc:
            error = f"{exc.filename}: {exc.strerror}"  # an unreadable subfolder is skipped
    return DirStats(path, True, True, files, total, oldest, stale, False, error)
