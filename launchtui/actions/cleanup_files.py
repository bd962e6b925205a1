"""The filesystem half of `cleanup`: a bounded walk and deletions, all fd-relative.

Everything under the temp dir is reached through directory file descriptors opened with
O_NOFOLLOW (`openat`, `fstatat`, `unlinkat` underneath), so no symlink is ever followed:
a folder swapped for a symlink between plan and execute makes its files "changed", it never
redirects a deletion outside the dir. Symlinks are counted and left alone; the dir itself
and its folders are never deleted.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from launchtui.core.actions import ActionError

MAX_ENTRIES = 200_000  # entries the plan's walk visits at most
MAX_DEPTH = 64
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
HOW = "pass --tmp-dir PATH, or set tmp_dir in the launchtui.toml profile"

Rel = tuple[str, ...]  # a folder under the dir, as its names; () is the dir itself
OldFile = tuple[Rel, str, int, float]  # folder, name, size, mtime


@dataclass(frozen=True)
class TempDir:
    """The dir to clean: as configured (shown), where that came from, and the dir itself."""

    path: Path  # absolute, as configured
    origin: str  # for messages: "--tmp-dir", "UPLOAD_FOLDER in config.py:15"
    # Resolved once, when the plan looks: a configured symlink to the dir is followed here
    # and nowhere else; execute opens this very path with O_NOFOLLOW.
    real: Path = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "real", self.path.resolve())


def _open_root(where: TempDir) -> int:
    """The dir, opened without following a symlink; ActionError saying why it cannot be."""
    try:
        return os.open(where.real, DIR_FLAGS)
    except FileNotFoundError:
        why = "does not exist"
    except NotADirectoryError:
        why = "is not a directory"
    except OSError as exc:
        why = f"cannot be opened ({exc.strerror})"
    raise ActionError(
        f"The temp dir {where.path} (from {where.origin}) {why}; {HOW} to the folder "
        "the backend writes its uploads and temp files to."
    )


@dataclass
class Walk:
    cutoff: float
    old: list[OldFile] = field(default_factory=list)  # dir, name, size, mtime
    dirs: dict[Rel, tuple[int, int]] = field(default_factory=dict)  # (st_dev, st_ino)
    newer: int = 0
    symlinks: int = 0
    others: int = 0
    unreadable: list[str] = field(default_factory=list)
    visited: int = 0
    capped: bool = False


def _scan(fd: int, rel: Rel, w: Walk) -> None:
    """Sort one folder's entries (by lstat, relative to `fd`), then descend into its folders."""
    subdirs: list[str] = []
    with os.scandir(fd) as it:
        for entry in it:
            w.visited += 1
            if w.visited > MAX_ENTRIES:
                w.capped = True
                break
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            except OSError as exc:
                w.unreadable.append(f"{'/'.join((*rel, entry.name))}: {exc.strerror}")
                continue
            if stat.S_ISLNK(st.st_mode):
                w.symlinks += 1
            elif stat.S_ISDIR(st.st_mode):
                subdirs.append(entry.name)
            elif not stat.S_ISREG(st.st_mode):
                w.others += 1
            elif st.st_mtime < w.cutoff:
                w.old.append((rel, entry.name, st.st_size, st.st_mtime))
            else:
                w.newer += 1
    for name in subdirs:
        sub_rel = (*rel, name)
        if w.capped:
            return
        if len(sub_rel) > MAX_DEPTH:
            w.unreadable.append(
                f"{'/'.join(sub_rel)}: deeper than {MAX_DEPTH} folders, not entered"
            )
            continue
        try:
            sub = os.open(name, DIR_FLAGS, dir_fd=fd)
        except FileNotFoundError:
            continue
        except OSError as exc:
            w.unreadable.append(f"{'/'.join(sub_rel)}: {exc.strerror}")
            continue
        try:
            st = os.fstat(sub)
            w.dirs[sub_rel] = (st.st_dev, st.st_ino)
            _scan(sub, sub_rel, w)
        except OSError as exc:  # listed only in part: what was found stays in the plan
            w.unreadable.append(f"{'/'.join(sub_rel)}: {exc.strerror}")
        finally:
            os.close(sub)


def walk(where: TempDir, older_than: float) -> Walk:
    fd = _open_root(where)
    try:
        w = Walk(cutoff=time.time() - older_than)
        st = os.fstat(fd)
        w.dirs[()] = (st.st_dev, st.st_ino)
        try:
            _scan(fd, (), w)
        except OSError as exc:
            raise ActionError(
                f"The temp dir {where.path} cannot be read ({exc.strerror}); run cleanup as "
                "the user that owns it."
            ) from None
    finally:
        os.close(fd)
    w.old.sort(key=lambda f: f[3])
    return w


class DirChanged(Exception):
    """The temp dir itself is not the one the plan looked at."""


@dataclass
class Tally:
    deleted: int = 0
    freed: int = 0
    gone: int = 0  # deleted by someone else meanwhile
    changed: int = 0  # newer, or no longer a regular file: kept
    failed: list[tuple[str, str]] = field(default_factory=list)


def _dir_fd(fds: dict[Rel, int | str], rel: Rel, dirs: Mapping[Rel, tuple[int, int]]) -> int | str:
    """A folder of the plan, opened from its parent without following symlinks, or why not."""
    if rel in fds:
        return fds[rel]
    parent = _dir_fd(fds, rel[:-1], dirs)
    if isinstance(parent, str):
        fds[rel] = parent
        return parent
    try:
        fd = os.open(rel[-1], DIR_FLAGS, dir_fd=parent)
    except FileNotFoundError:
        fds[rel] = "gone"
        return "gone"
    except OSError as exc:  # now a symlink (ELOOP), a file (ENOTDIR), or unreadable
        swapped = exc.errno in (errno.ELOOP, errno.ENOTDIR)
        fds[rel] = "changed" if swapped else (exc.strerror or str(exc))
        return fds[rel]
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != dirs.get(rel):
        os.close(fd)
        fds[rel] = "changed"
    else:
        fds[rel] = fd
    return fds[rel]


def delete_batch(
    where: TempDir,
    dirs: Mapping[Rel, tuple[int, int]],
    items: list[OldFile],
    cutoff: float,
    stop: threading.Event,
    tally: Tally,
) -> int:
    """Delete what is still an old regular file, each re-checked by lstat; the count looked at.

    The worker owns every descriptor it opens (closed before it returns), so a cancelled
    caller can never leave one to be reused under another folder's number.
    """
    fds: dict[Rel, int | str] = {}
    try:
        try:
            root = os.open(where.real, DIR_FLAGS)
        except OSError:
            raise DirChanged from None
        fds[()] = root
        st = os.fstat(root)
        if (st.st_dev, st.st_ino) != dirs[()]:
            raise DirChanged
        done = 0
        for rel, name, _size, _mtime in items:
            if stop.is_set():
                break
            done += 1
            shown = "/".join((*rel, name))
            fd = _dir_fd(fds, rel, dirs)
            if fd == "gone":
                tally.gone += 1
                continue
            if isinstance(fd, str):
                if fd == "changed":
                    tally.changed += 1
                else:
                    tally.failed.append((shown, fd))
                continue
            try:
                st = os.lstat(name, dir_fd=fd)
                if not stat.S_ISREG(st.st_mode) or st.st_mtime >= cutoff:
                    tally.changed += 1
                    continue
                os.unlink(name, dir_fd=fd)
            except FileNotFoundError:
                tally.gone += 1
            except OSError as exc:
                tally.failed.append((shown, exc.strerror or str(exc)))
            else:
                tally.deleted += 1
                tally.freed += st.st_size
        return done
    finally:
        for fd in fds.values():
            if isinstance(fd, int):
                os.close(fd)
