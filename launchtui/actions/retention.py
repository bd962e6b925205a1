"""`--keep N`: prune all but the newest N complete backups, locally and offsite.

What counts, and what is never touched:
- Only backups of the same kind AND the same database or cloud as the one just written
  (`backup_<db>_...`, `media_<cloud>_...`): one backup dir may hold staging and
  production side by side, and keeping "7 databases" must not delete the other one's.
- Only complete backups count toward N and only they are pruned: locally, a file whose
  manifest exists, follows the format, says `complete` and matches the file's size;
  offsite, a backup object whose manifest object is there. A `.partial`, a dump whose
  writer died (no manifest), a media listing that stopped early: left alone.
- The backup just written is never removed, whatever its stamp says.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchtui.actions.offsite import OffsiteLocation
from launchtui.probes.backup_files import (
    DB_NAME,
    MEDIA_NAME,
    BackupFile,
    list_backups,
    manifest_path,
    read_manifest,
    stamp_time,
    validate_manifest,
)


def name_parts(name: str) -> tuple[str, str, str] | None:
    """(kind, label, stamp) of a backup file name, or None if it is not one."""
    for kind, pattern in (("database", DB_NAME), ("media", MEDIA_NAME)):
        if m := pattern.match(name):
            return kind, m["label"], m["stamp"]
    return None


def media_folder(path: Path) -> Path:
    """The downloaded originals beside an inventory: `media_<cloud>_<stamp>/`."""
    return path.with_name(path.name.removesuffix(".jsonl"))


def is_complete(b: BackupFile) -> bool:
    """A finished backup: its manifest is there, valid, says complete, and sizes agree."""
    data, _trouble = read_manifest(b.path)
    if data is None or validate_manifest(data, b.kind):
        return False
    return bool(data.get("complete")) and data.get("bytes") == b.size


@dataclass(frozen=True)
class Removed:
    name: str  # the backup file's name
    also: tuple[str, ...]  # its manifest, its media folder


def prune_local(directory: Path, kind: str, keep: int, just_written: Path) -> list[Removed]:
    """Remove all but the newest `keep` complete backups like `just_written` (blocking)."""
    parts = name_parts(just_written.name)
    if parts is None or keep < 1:
        return []
    _, label, _ = parts
    listing = list_backups(directory)
    files = listing.databases if kind == "database" else listing.media
    same = [b for b in files if b.label == label and b.kind == kind]
    # Newest first (list_backups sorts by the stamp in the name, then mtime).
    complete = [b for b in same if b.path == just_written or is_complete(b)]
    survivors = {b.path for b in complete[:keep]} | {just_written}
    removed: list[Removed] = []
    for b in complete:
        if b.path in survivors:
            continue
        removed.append(_remove_local(b.path, kind))
    return removed


def _remove_local(path: Path, kind: str) -> Removed:
    # The backup file first: a crash in between leaves a manifest without a file, which
    # no listing mistakes for a backup, rather than a file that looks like a dead writer's.
    also: list[str] = []
    path.unlink(missing_ok=True)
    mpath = manifest_path(path)
    with contextlib.suppress(FileNotFoundError):
        mpath.unlink()
        also.append(mpath.name)
    if kind == "media":
        folder = media_folder(path)
        # Never follow a symlink out of the backup dir: only a real directory goes.
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
            also.append(folder.name + "/")
    return Removed(path.name, tuple(also))


# -- offsite ---------------------------------------------------------------


def _list_names(client: Any, loc: OffsiteLocation) -> dict[str, dict[str, Any]]:
    """The objects directly under the prefix, by name (the key without the prefix)."""
    out: dict[str, dict[str, Any]] = {}
    paginator = client.get_paginator("list_objects_v2")
    # Delimiter "/": only the prefix's own level, as the local dir is flat.
    for page in paginator.paginate(Bucket=loc.bucket, Prefix=loc.prefix, Delimiter="/"):
        for obj in page.get("Contents") or ():
            name = str(obj["Key"])[len(loc.prefix) :]
            if name:
                out[name] = obj
    return out


def prune_offsite(
    client: Any, loc: OffsiteLocation, kind: str, keep: int, just_written: str
) -> list[str]:
    """Delete all but the newest `keep` complete remote backups like `just_written`.

    Returns the keys deleted (backup objects and their manifests). Blocking: use a thread.
    """
    parts = name_parts(just_written)
    if parts is None or keep < 1:
        return []
    _, label, _ = parts
    objects = _list_names(client, loc)
    candidates = []
    for name in objects:
        p = name_parts(name)
        if p is None or p[0] != kind or p[1] != label:
            continue
        mname = manifest_path(Path(name)).name
        if name != just_written and mname not in objects:
            continue  # no manifest object: an upload that never finished, left alone
        try:
            when = stamp_time(p[2])
        except ValueError:  # a name with an impossible stamp is nobody's backup: left alone
            continue
        candidates.append((when, name, mname))
    # Newest first by the stamp in the name, as locally (LastModified is the upload time).
    candidates.sort(reverse=True)
    survivors = {c[1] for c in candidates[:keep]} | {just_written}
    deleted: list[str] = []
    for _, name, mname in candidates:
        if name in survivors:
            continue
        for n in _existing(objects, (name, mname)):
            client.delete_object(Bucket=loc.bucket, Key=loc.key(n))
            deleted.append(loc.key(n))
    return deleted


def _existing(objects: dict[str, Any], names: Iterable[str]) -> list[str]:
    return [n for n in names if n in objects]
