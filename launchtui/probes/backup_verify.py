"""Verifying a backup against its manifest (the format is described in backup_files).

Verification reads each file once, in chunks: the sha256, the byte count, the gunzip
(truncation and CRC) and the footer all come from that one streaming pass.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launchtui.probes.backup_files import (
    AGE_SUFFIX,
    DB_NAME,
    MEDIA_NAME,
    db_compression,
    parse_utc,
    read_manifest,
    stamp_time,
    validate_manifest,
)

CHUNK = 1 << 20
_TAIL = 4096
_MAX_LINE = 1 << 20
# MariaDB prints the hour with %2d: `-- Dump completed on 2026-12-02  2:45:16`.
FOOTER = re.compile(
    rb"(?:\A|\n)-- Dump completed"
    rb"(?: on (?P<when>\d{4}-\d{2}-\d{2} +\d{1,2}:\d{2}:\d{2}))?[ \t\r\n]*\Z"
)
# Every age file starts with this line (age-encryption.org/v1 format).
AGE_MAGIC = b"age-encryption.org/v1\n"


class VerifyTimeout(Exception):
    """Verification passed its deadline."""


@dataclass
class Verification:
    """What reading a backup file end to end found."""

    path: Path
    kind: str
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    size: int = 0
    sha256: str | None = None
    footer: str | None = None
    lines: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    bytes_by_type: dict[str, int] = field(default_factory=dict)
    complete: bool = False
    next_cursor: str | None = None
    timed_out: bool = False
    mtime: float = 0.0
    # An age-encrypted dump: its footer is the one its manifest says was checked at backup time.
    encrypted: bool = False

    @property
    def ok(self) -> bool:
        """The file is intact and agrees with its manifest."""
        return not self.problems and not self.timed_out

    @property
    def good(self) -> bool:
        """Intact and complete: a backup one could restore from."""
        return self.ok and self.complete

    @property
    def resumable(self) -> bool:
        return self.ok and not self.complete and bool(self.next_cursor)

    @property
    def finished_at(self) -> dt.datetime:
        """When it was taken: the manifest's finished_at, else its name's stamp, else mtime."""
        when = parse_utc((self.manifest or {}).get("finished_at"))
        if when is not None:
            return when
        m = (DB_NAME if self.kind == "database" else MEDIA_NAME).match(self.path.name)
        if m:
            with contextlib.suppress(ValueError):  # a stamp that is not a time
                return stamp_time(m["stamp"])
        return dt.datetime.fromtimestamp(self.mtime, dt.UTC)

    def age_seconds(self, now: dt.datetime | None = None) -> float:
        now = now or dt.datetime.now(dt.UTC)
        return max(0.0, (now - self.finished_at).total_seconds())


# Dumps this process has just written, hashed and footer-checked while they streamed, by
# the identity of the file as written (device, inode, size, mtime in ns). Only inside
# `just_written`: the action's own re-check then need not read 250 MB again; any later
# check, or a file changed since, reads it end to end.
_JUST_WRITTEN: dict[tuple[int, int, int, int], tuple[str, str]] = {}


def _identity(path: Path) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


@contextlib.contextmanager
def just_written(path: Path, sha256: str, footer: str) -> Iterator[None]:
    """While inside, verifying `path` (unchanged) trusts the sha256 and footer seen writing it."""
    key = _identity(path)
    _JUST_WRITTEN[key] = (sha256, footer)
    try:
        yield
    finally:
        _JUST_WRITTEN.pop(key, None)


def _known(v: Verification) -> bool:
    """Fill `v` from what the writer saw, when this very file is one it just wrote."""
    try:
        key = _identity(v.path)
    except OSError:
        return False
    seen = _JUST_WRITTEN.get(key)
    if seen is None:
        return False
    v.sha256, v.footer = seen
    v.size, v.mtime = key[2], key[3] / 1e9
    return True


def _chunks(path: Path, deadline: float | None) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            if deadline is not None and time.monotonic() > deadline:
                raise VerifyTimeout
            yield chunk


def _read_through(v: Verification, deadline: float | None) -> Iterator[bytes]:
    """The file's chunks, counting its mtime, size and sha256 into `v`.

    A timeout or a read error ends the chunks early and is recorded in `v`, whose
    sha256 then stays None.
    """
    digest = hashlib.sha256()
    try:
        v.mtime = v.path.stat().st_mtime
        for chunk in _chunks(v.path, deadline):
            digest.update(chunk)
            v.size += len(chunk)
            yield chunk
    except VerifyTimeout:
        v.timed_out = True
        return
    except OSError as exc:
        v.problems.insert(0, f"it cannot be read ({exc.strerror or exc})")
        return
    v.sha256 = digest.hexdigest()


class _Gunzip:
    """Incremental gunzip over concatenated members, with bounded output per call."""

    def __init__(self) -> None:
        self._d: Any = None
        self.members = 0
        self._head = b""
        self.error: str | None = None

    def feed(self, data: bytes) -> Iterator[bytes]:
        while self.error is None:
            if self._d is None:
                if not data:
                    return
                self._d = zlib.decompressobj(wbits=31)
                self.members += 1
                self._head = data[:2]
            try:
                out = self._d.decompress(data, CHUNK)
            except zlib.error as exc:
                self.error = self._describe(exc)
                return
            if out:
                yield out
            if self._d.eof:
                data, self._d = self._d.unused_data, None
            else:
                data = self._d.unconsumed_tail
                if not data and len(out) < CHUNK:
                    return

    def _describe(self, exc: zlib.error) -> str:
        if len(self._head) == 2 and self._head != b"\x1f\x8b":
            if self.members == 1:
                return "it is named .gz but is not gzip data"
            return "it has stray bytes after the end of its gzip stream"
        if "incorrect data check" in str(exc) or "incorrect length check" in str(exc):
            return "its gzip checksum fails, so the data is corrupted"
        return f"its gzip data is corrupted ({exc})"

    def finish(self) -> str | None:
        if self.error:
            return self.error
        if self._d is not None:
            return (
                "its gzip stream is truncated (the file ends mid-stream, so the dump was cut off)"
            )
        return None


class _Unzstd:
    """Incremental zstd decoding over concatenated frames, fed in small slices."""

    _SLICE = 1 << 16  # input per call: bounds what one call can expand to

    def __init__(self) -> None:
        import zstandard

        self._dctx = zstandard.ZstdDecompressor()
        self._error_type: type[Exception] = zstandard.ZstdError
        self._d: Any = None
        self.frames = 0
        self.error: str | None = None

    def feed(self, data: bytes) -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(0, len(view), self._SLICE):
            piece = bytes(view[start : start + self._SLICE])
            while piece and self.error is None:
                if self._d is None:
                    self._d = self._dctx.decompressobj()
                    self.frames += 1
                try:
                    out = self._d.decompress(piece)
                except self._error_type as exc:
                    self.error = self._describe(exc)
                    return
                if out:
                    yield out
                if self._d.eof:
                    piece, self._d = self._d.unused_data, None
                else:
                    piece = b""
            if self.error is not None:
                return

    def _describe(self, exc: Exception) -> str:
        if "Unknown frame descriptor" in str(exc):
            if self.frames == 1:
                return "it is named .zst but is not zstd data"
            return "it has stray bytes after the end of its zstd stream"
        if "checksum" in str(exc).lower():
            return "its zstd checksum fails, so the data is corrupted"
        return f"its zstd data is corrupted ({exc})"

    def finish(self) -> str | None:
        if self.error:
            return self.error
        if self._d is not None:
            return "its zstd stream is truncated (the file ends mid-frame, so the dump was cut off)"
        return None


def stream_decoder(name: str) -> _Gunzip | _Unzstd | None:
    """The incremental decoder a dump's name calls for (after decryption), or None for .sql."""
    compression = db_compression(name)
    return _Unzstd() if compression == "zstd" else _Gunzip() if compression == "gzip" else None


def _begin(path: Path, kind: str) -> Verification:
    v = Verification(path, kind)
    manifest, problem = read_manifest(path)
    if problem:
        v.problems.append(problem)
        return v
    shape = validate_manifest(manifest, kind)
    if shape:
        v.problems += shape
    else:
        v.manifest = manifest
    return v


def _compare(v: Verification) -> None:
    m = v.manifest
    if m is None:
        return
    if m["file"] != v.path.name:
        v.problems.append(f"its manifest describes {m['file']}, not this file")
    if m["sha256"] != v.sha256:
        v.problems.append(
            "its sha256 does not match the manifest (the file changed or was damaged after writing)"
        )
    if m["bytes"] != v.size:
        v.problems.append(f"it is {v.size} bytes but its manifest says {m['bytes']}")


def _encrypted_footer(v: Verification, head: bytes) -> None:
    """An encrypted dump cannot be read without its identity: its header, and the footer
    its manifest says was checked while it streamed."""
    recorded = (v.manifest or {}).get("footer")
    if v.size == 0:
        v.problems.insert(0, "it is empty")
    elif not head.startswith(AGE_MAGIC):
        v.problems.insert(0, "it is named .age but is not age-encrypted data")
    elif isinstance(recorded, str) and FOOTER.search(recorded.encode("utf-8", "replace")):
        v.footer = recorded.strip()
    elif v.manifest is not None:
        v.problems.insert(
            0, "its manifest records no `-- Dump completed` footer checked at backup time"
        )


def verify_db_backup(path: Path, *, deadline: float | None = None) -> Verification:
    """Check a dump against its manifest: checksum, size, zstd/gzip integrity and the footer.

    An encrypted (.age) dump is checked by its sha256 and size; its footer was checked at
    backup time (the manifest's `footer`), since verifying it again needs the identity.
    """
    v = _begin(Path(path), "database")
    v.encrypted = v.path.name.endswith(AGE_SUFFIX)
    if _known(v):
        _compare(v)
        v.complete = v.manifest is not None and bool(v.manifest["complete"])
        return v
    decoder = None if v.encrypted else stream_decoder(v.path.name)
    tail = head = b""
    for chunk in _read_through(v, deadline):
        if v.encrypted:
            head = head if len(head) >= len(AGE_MAGIC) else (head + chunk)[: len(AGE_MAGIC)]
            continue
        for piece in decoder.feed(chunk) if decoder else (chunk,):
            tail = piece[-_TAIL:] if len(piece) >= _TAIL else (tail + piece)[-_TAIL:]
    if v.sha256 is None:  # timed out or unreadable, as `v` says
        return v
    stream_problem = decoder.finish() if decoder else None
    if v.encrypted:
        _encrypted_footer(v, head)
    elif v.size == 0:
        v.problems.insert(0, "it is empty")
    elif stream_problem:
        v.problems.insert(0, stream_problem)
    elif m := FOOTER.search(tail):
        v.footer = m.group(0).decode("ascii").strip()
    else:
        v.problems.insert(
            0,
            "it has no `-- Dump completed` footer, so mysqldump stopped before the end "
            "(killed, out of disk, or a dropped connection)",
        )
    _compare(v)
    if v.manifest is not None and not v.manifest["complete"]:
        v.problems.append("its manifest marks it incomplete")
    v.complete = v.footer is not None and v.manifest is not None and v.manifest["complete"]
    return v


def _resource_key(line: bytes) -> tuple[str, int] | None:
    """A line's `resource_type/type` and its size (0 when not given), or None if not a resource."""
    try:
        item = json.loads(line)
    except (ValueError, RecursionError):  # bad JSON or UTF-8, a huge number, deep nesting
        return None
    if not isinstance(item, dict):
        return None
    fields = [item.get(k) for k in ("public_id", "resource_type", "type")]
    if not all(isinstance(f, str) and f for f in fields):
        return None
    size = item.get("bytes")
    ok_size = isinstance(size, int) and not isinstance(size, bool) and size >= 0
    return f"{fields[1]}/{fields[2]}", size if ok_size else 0


def verify_media_inventory(path: Path, *, deadline: float | None = None) -> Verification:
    """Check an inventory against its manifest: every line a resource, counts, checksum."""
    v = _begin(Path(path), "media")
    bad: list[int] = []
    buf = b""
    skipping = False  # inside a line too long to be a resource

    def take(line: bytes) -> None:
        v.lines += 1
        found = _resource_key(line)
        if found is None:
            bad.append(v.lines)
        else:
            key, size = found
            v.by_type[key] = v.by_type.get(key, 0) + 1
            v.bytes_by_type[key] = v.bytes_by_type.get(key, 0) + size

    for chunk in _read_through(v, deadline):
        *lines, buf = (buf + chunk).split(b"\n")
        for line in lines:
            if skipping:
                skipping = False
                v.lines += 1
                bad.append(v.lines)
            else:
                take(line)
        if len(buf) > _MAX_LINE:
            buf, skipping = b"", True
    if v.sha256 is None:  # timed out or unreadable, as `v` says
        return v
    if skipping:
        v.lines += 1
        bad.append(v.lines)
    elif buf:
        take(buf)  # a last line without its newline still counts if it parses
    if bad:
        more = f" ({len(bad)} bad lines in all)" if len(bad) > 1 else ""
        v.problems.insert(0, f"line {bad[0]} is not a resource as JSON{more}")
    _compare(v)
    m = v.manifest
    if m is not None:
        if m["resources"] != v.lines:
            v.problems.append(
                f"it lists {v.lines} resources but its manifest says {m['resources']}"
            )
        elif not bad and m["by_type"] != v.by_type:
            v.problems.append("its resources per type do not match the manifest's `by_type`")
        elif not bad and "bytes_by_type" in m and m["bytes_by_type"] != v.bytes_by_type:
            v.problems.append("its bytes per type do not match the manifest's `bytes_by_type`")
        v.complete, v.next_cursor = m["complete"], m["next_cursor"]
    return v
