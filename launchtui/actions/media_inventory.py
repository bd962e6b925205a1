"""The resumable `.partial` inventory of `launchtui backup media`, and its state file.

Each page of a listing is committed in one step: its new resources appended to the
`.partial` file (deduplicated by resource type, delivery type and public id), the file
fsynced, then the state (every listing's next cursor, and how many bytes of the file those
pages account for) replaced atomically. So the state never claims a page that is not on
disk; lines past `committed` (a run killed mid-commit) are cut off on resume and that page
is fetched again. The format is described in `launchtui.probes.backup_files`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launchtui.core.actions import ActionError
from launchtui.core.files import partial_path, write_atomic
from launchtui.probes.backup_files import (
    MEDIA_NAME,
    manifest_path,
    media_state_path,
    utc_iso,
    write_manifest,
)
from launchtui.probes.cloudinary import DELIVERY_TYPES, RESOURCE_TYPES

STATE_KIND = "media-state"
STATE_FORMAT = 1
# Every listing the checklist's snippet misses but one: 3 resource types x 3 delivery types.
LISTINGS = tuple(f"{r}/{t}" for r in RESOURCE_TYPES for t in DELIVERY_TYPES)
LINE_FIELDS = (
    "public_id",
    "resource_type",
    "type",
    "format",
    "bytes",
    "secure_url",
    "created_at",
    "version",
)
_READ = 1 << 20


class StateError(Exception):
    """An interrupted inventory cannot be continued; the message says why, in a sentence."""


@dataclass
class ListingState:
    """Where one listing (`image/upload`, ...) stands."""

    key: str
    next_cursor: str | None = None  # None and not done: the first page is next
    done: bool = False
    pages: int = 0

    @property
    def resource_type(self) -> str:
        return self.key.split("/")[0]

    @property
    def delivery_type(self) -> str:
        return self.key.split("/")[1]


def inventory_line(resource: Mapping[str, Any], listing: ListingState) -> dict[str, Any] | None:
    """The inventory's object for one listed resource (None without a public id)."""
    pid = resource.get("public_id")
    if not isinstance(pid, str) or not pid:
        return None
    item = {name: resource.get(name) for name in LINE_FIELDS}
    # A listing answers for its own types; fill them in if the API left them out.
    item["resource_type"] = item["resource_type"] or listing.resource_type
    item["type"] = item["type"] or listing.delivery_type
    return item


def _identity(item: Mapping[str, Any]) -> int:
    # 128 bits per resource instead of three strings: a million resources in ~90 MB.
    key = f"{item['resource_type']}\0{item['type']}\0{item['public_id']}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=16).digest(), "big")


def _size(item: Mapping[str, Any]) -> int:
    size = item.get("bytes")
    return size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else 0


@dataclass(frozen=True)
class Completed:
    """A finished inventory under its final name, with its manifest written."""

    path: Path
    bytes: int
    sha256: str
    resources: int
    by_type: dict[str, int]
    bytes_by_type: dict[str, int]
    manifest: dict[str, Any]


@dataclass
class Inventory:
    """The `.partial` inventory being written, its lock, and its state."""

    final: Path
    cloud: str
    started_at: str
    listings: dict[str, ListingState]
    resumes: int = 0
    resources: int = 0
    committed: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    bytes_by_type: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    without_id: int = 0
    _seen: set[int] = field(default_factory=set, repr=False)
    _fd: int | None = field(default=None, repr=False)
    # finish() runs in a thread: close() waits for it rather than pull the file from under it.
    _io: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def partial(self) -> Path:
        return partial_path(self.final)

    @property
    def state_path(self) -> Path:
        return media_state_path(self.final)

    @property
    def listings_done(self) -> int:
        return sum(1 for s in self.listings.values() if s.done)

    @property
    def pages(self) -> int:
        return sum(s.pages for s in self.listings.values())

    # -- opening ---------------------------------------------------------------------

    @classmethod
    def create(cls, final: Path, cloud: str, started_at: str) -> Inventory:
        """A new, empty inventory: its `.partial` file (never an existing one) and its state."""
        inv = cls(final, cloud, started_at, {k: ListingState(k) for k in LISTINGS})
        if final.exists():
            raise ActionError(f"{final} already exists; run the backup again in a second.")
        try:
            fd = os.open(inv.partial, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise ActionError(
                f"Another launchtui is writing {inv.partial.name} right now; let it finish."
            ) from None
        inv._fd = fd
        inv._lock()
        inv.save_state()
        return inv

    @classmethod
    def reopen(cls, state_path: Path) -> Inventory:
        """An interrupted inventory from its state, locked, its file cut back to the state."""
        state = read_state(state_path)
        final = state_path.with_name(state["file"])
        inv = cls(
            final,
            state["cloud_name"],
            state["started_at"],
            {k: ListingState(k, **v) for k, v in state["listings"].items()},
            resumes=state["resumes"] + 1,
        )
        try:
            inv._fd = os.open(inv.partial, os.O_RDWR)
        except FileNotFoundError:
            raise StateError(
                f"the listing {inv.partial.name} that {state_path.name} continues is gone"
            ) from None
        try:
            inv._lock()
            inv._reload(state["committed"], state["resources"])
        except BaseException:
            inv.close()
            raise
        return inv

    def _lock(self) -> None:
        assert self._fd is not None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.close()
            raise ActionError(
                f"Another launchtui is writing {self.partial.name} right now; let it finish."
            ) from None

    def _reload(self, committed: int, resources: int) -> None:
        """Count what the committed pages hold, and cut off lines past them."""
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        if size < committed:
            raise StateError(
                f"{self.partial.name} is shorter ({size} bytes) than its state says "
                f"({committed} bytes), so pages it claims are missing"
            )
        buf = b""
        offset = 0
        while offset < committed:
            chunk = os.pread(self._fd, min(_READ, committed - offset), offset)
            if not chunk:
                break
            offset += len(chunk)
            *lines, buf = (buf + chunk).split(b"\n")
            for line in lines:
                self._recount(line)
        if buf:
            raise StateError(f"{self.partial.name} ends mid-line where its state says a page ends")
        if self.resources != resources:
            raise StateError(
                f"{self.partial.name} holds {self.resources} resources but its state says "
                f"{resources}"
            )
        os.ftruncate(self._fd, committed)  # a page written after the last state save
        self.committed = committed

    def _recount(self, line: bytes) -> None:
        try:
            item = json.loads(line)
            ident = _identity(item)
        except (ValueError, KeyError, TypeError):
            raise StateError(f"{self.partial.name} has a line that is not a resource") from None
        self._seen.add(ident)
        self._count(item)

    def _count(self, item: Mapping[str, Any]) -> None:
        key = f"{item['resource_type']}/{item['type']}"
        self.resources += 1
        self.by_type[key] = self.by_type.get(key, 0) + 1
        self.bytes_by_type[key] = self.bytes_by_type.get(key, 0) + _size(item)

    # -- writing -----------------------------------------------------------------------

    def commit(
        self, listing: ListingState, resources: Iterable[Mapping[str, Any]], next_cursor: str | None
    ) -> int:
        """Append one page's new resources, fsync, then save the state; the number added."""
        assert self._fd is not None
        fresh: list[dict[str, Any]] = []
        idents: set[int] = set()
        for resource in resources:
            item = inventory_line(resource, listing)
            if item is None:
                self.without_id += 1
                continue
            ident = _identity(item)
            if ident in self._seen or ident in idents:
                self.duplicates += 1  # a page asked again, or a resource that moved pages
                continue
            idents.add(ident)
            fresh.append(item)
        data = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in fresh).encode()
        written = 0
        while written < len(data):
            written += os.pwrite(self._fd, data[written:], self.committed + written)
        os.fsync(self._fd)
        # Only now does the page count: the state must never run ahead of the file.
        self.committed += len(data)
        self._seen |= idents
        for item in fresh:
            self._count(item)
        listing.pages += 1
        listing.next_cursor = next_cursor
        listing.done = next_cursor is None
        self.save_state()
        return len(fresh)

    def restart(self, listing: ListingState) -> None:
        """List this one again from its first page (its cursor was refused); dedup keeps it exact."""
        listing.next_cursor, listing.done = None, False
        self.save_state()

    def save_state(self) -> None:
        state = {
            "kind": STATE_KIND,
            "format": STATE_FORMAT,
            "file": self.final.name,
            "cloud_name": self.cloud,
            "started_at": self.started_at,
            "updated_at": utc_iso(),
            "committed": self.committed,
            "resources": self.resources,
            "resumes": self.resumes,
            "listings": {
                k: {"next_cursor": s.next_cursor, "done": s.done, "pages": s.pages}
                for k, s in self.listings.items()
            },
            "complete": False,
        }
        write_atomic(self.state_path, json.dumps(state, indent=1) + "\n")

    def finish(self) -> Completed:
        """Verify the file against the counts, rename it, write its manifest, drop the state."""
        with self._io:
            return self._finish()

    def _finish(self) -> Completed:
        assert self._fd is not None
        digest, lines, offset = hashlib.sha256(), 0, 0
        while chunk := os.pread(self._fd, _READ, offset):
            digest.update(chunk)
            lines += chunk.count(b"\n")
            offset += len(chunk)
        if offset != self.committed or lines != self.resources:
            raise ActionError(
                f"{self.partial.name} holds {lines} lines in {offset} bytes, not the "
                f"{self.resources} resources written, so it was not renamed; run the backup again."
            )
        os.fsync(self._fd)
        try:
            os.link(self.partial, self.final)  # never over an existing inventory
        except FileExistsError:
            raise ActionError(f"{self.final} already exists, so it was not replaced.") from None
        self.partial.unlink()
        _fsync_dir(self.final.parent)
        by_type = {k: n for k, n in sorted(self.by_type.items()) if n}
        manifest: dict[str, Any] = {
            "kind": "media",
            "format": 1,
            "file": self.final.name,
            "bytes": offset,
            "sha256": digest.hexdigest(),
            "cloud_name": self.cloud,
            "resources": self.resources,
            "by_type": by_type,
            "bytes_by_type": {k: self.bytes_by_type.get(k, 0) for k in by_type},
            "pages": self.pages,
            "resumed": self.resumes,
            "complete": True,
            "next_cursor": None,
            "started_at": self.started_at,
            "finished_at": utc_iso(),
        }
        write_manifest(manifest_path(self.final), manifest)
        self.state_path.unlink(missing_ok=True)
        return Completed(
            self.final,
            offset,
            manifest["sha256"],
            self.resources,
            by_type,
            manifest["bytes_by_type"],
            manifest,
        )

    def close(self) -> None:
        with self._io:
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)  # also drops the lock
                self._fd = None


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


# -- the state file -----------------------------------------------------------------------


def read_state(path: Path) -> dict[str, Any]:
    """A state file, checked (StateError saying what is wrong)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StateError(f"{path.name} is gone") from None
    except (OSError, ValueError) as exc:  # ValueError: bad UTF-8 or JSON, or a huge number
        raise StateError(f"{path.name} cannot be read ({exc})") from None
    except RecursionError:
        raise StateError(f"{path.name} cannot be read (it nests too deeply)") from None
    if not isinstance(data, dict) or data.get("kind") != STATE_KIND:
        raise StateError(f"{path.name} is not an inventory's state")
    if data.get("format") != STATE_FORMAT:
        raise StateError(f"{path.name} is format {data.get('format')!r}, not {STATE_FORMAT}")
    listings = data.get("listings")
    good = (
        isinstance(data.get("file"), str)
        and MEDIA_NAME.match(data["file"]) is not None
        and isinstance(data.get("cloud_name"), str)
        and isinstance(data.get("started_at"), str)
        and all(_whole(data.get(k)) for k in ("committed", "resources", "resumes"))
        and isinstance(listings, dict)
        and set(listings) == set(LISTINGS)
        and all(_listing_ok(v) for v in listings.values())
    )
    if not good:
        raise StateError(f"{path.name} is damaged (a member is missing or of the wrong type)")
    return data


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _listing_ok(value: object) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"next_cursor", "done", "pages"}
        and isinstance(value["next_cursor"], str | type(None))
        and isinstance(value["done"], bool)
        and _whole(value["pages"])
    )
