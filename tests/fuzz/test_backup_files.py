"""The backup dir read back: listings, manifests, media state files, and their verification."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import zstandard
from hypothesis import given
from hypothesis import strategies as st

from launchtui.actions.media_inventory import StateError, read_state
from launchtui.probes.backup_files import (
    list_backups,
    manifest_path,
    media_states,
    newest_db_backup,
    newest_media_inventory,
    parse_utc,
    read_manifest,
    validate_manifest,
    write_manifest,
)
from launchtui.probes.backup_verify import verify_db_backup, verify_media_inventory
from tests.fuzz.strategies import ANY_TEXT, FUZZ, FUZZ_IO, HUGE_DIGITS, NASTY, mixed, mixed_bytes

STAMPS = st.sampled_from(
    [
        "20260101T000000Z",
        "99999999T999999Z",
        "20260230T120000Z",
        "\u0662\u0660\u0662\u06660101T000000Z",
    ]
) | st.from_regex(r"\d{8}T\d{6}Z", fullmatch=True)
EXTS = st.sampled_from(
    [
        ".sql",
        ".sql.gz",
        ".sql.zst",
        ".sql.age",
        ".sql.gz.age",
        ".jsonl",
        ".manifest.json",
        ".state.json",
        ".partial",
        ".sql.partial",
        "",
    ]
)
NAMES = st.builds(
    lambda dot, kind, label, stamp, ext: f"{dot}{kind}_{label}_{stamp}{ext}",
    st.sampled_from(["", "."]),
    st.sampled_from(["backup", "media", "x"]),
    mixed("ab_-.", 6).map(lambda s: s.replace("/", "-").replace("\x00", "-") or "a"),
    STAMPS,
    EXTS,
) | ANY_TEXT.map(lambda s: s.replace("/", "-").replace("\x00", "-") or "a")


def safe_name(name: str) -> str:
    """A name the file system takes (no '/', no NUL, not too long, not '.' or '..')."""
    name = name.encode("utf-8", "surrogateescape")[:200].decode("utf-8", "ignore")
    return name if name not in ("", ".", "..") else "a"


def fill(d: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        with contextlib.suppress(OSError, UnicodeEncodeError):
            (d / safe_name(name)).write_bytes(data)


@FUZZ_IO
@given(st.dictionaries(NAMES, mixed_bytes(b'{}[]":,', 40), max_size=6))
def test_any_backup_dir_is_listed_and_verified(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as d:
        fill(Path(d), files)
        listing = list_backups(Path(d))
        newest_db_backup(Path(d))
        newest_media_inventory(Path(d))
        listing.stale_partials("database")
        for b in listing.databases:
            v = verify_db_backup(b.path)
            v.ok, v.good, v.resumable, v.age_seconds()
        for b in listing.media:
            v = verify_media_inventory(b.path)
            v.ok, v.good, v.resumable, v.age_seconds()
        for state in media_states(Path(d)):
            try:
                read_state(state)
            except StateError as exc:
                assert str(exc)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT | NASTY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=10,
)
NOW = "2026-01-01T00:00:00Z"


def db_manifest(file: str, data: bytes) -> dict[str, Any]:
    return {
        "kind": "database",
        "format": 1,
        "file": file,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "complete": True,
        "started_at": NOW,
        "finished_at": NOW,
        "database": "app",
        "host": "h",
        "tables": 1,
        "rows": {"t": 1},
        "tool": "mysqldump",
        "flavor": "mysql",
        "tool_version": "8.0.36",
        "compression": "none",
        "encrypted_to": [],
    }


def media_manifest(file: str, data: bytes) -> dict[str, Any]:
    return {
        "kind": "media",
        "format": 1,
        "file": file,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "complete": True,
        "started_at": NOW,
        "finished_at": NOW,
        "cloud_name": "c",
        "resources": 1,
        "by_type": {"image/upload": 1},
        "next_cursor": None,
    }


FIELD_VALUES = JSON | st.sampled_from(
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "NaN", 2**70, -1, [], {}]
)


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """A valid manifest with some members changed to any JSON value, or dropped."""
    out = dict(base)
    for key in draw(
        st.lists(st.sampled_from([*base, "footer", "verify_restore", "bytes_by_type"]), max_size=3)
    ):
        if draw(st.booleans()):
            out[key] = draw(FIELD_VALUES)
        else:
            out.pop(key, None)
    return out


@FUZZ
@given(
    JSON
    | mutated(db_manifest("backup_a_20260101T000000Z.sql", b"x"))
    | mutated(media_manifest("m.jsonl", b"x"))
)
def test_validate_manifest_lists_problems_for_any_value(data: Any) -> None:
    for kind in ("database", "media"):
        problems = validate_manifest(data, kind)
        assert all(isinstance(p, str) and p for p in problems)


@FUZZ
@given(NASTY | ANY_TEXT | st.datetimes(timezones=st.timezones()).map(dt.datetime.isoformat))
def test_parse_utc_is_an_aware_time_or_none(text: str) -> None:
    when = parse_utc(text)
    assert when is None or when.utcoffset() == dt.timedelta(0)


MANIFEST_BYTES = (
    mixed_bytes(b'{}[]":,0123456789', 80)
    | st.sampled_from([b"[" * 5000, b'{"a":' * 3000, b'{"bytes": ' + HUGE_DIGITS.encode() + b"}"])
    | JSON.map(lambda v: json.dumps(v).encode())
)


@FUZZ_IO
@given(
    mutated(db_manifest("backup_a_20260101T000000Z.sql", b"-- Dump completed\n")) | MANIFEST_BYTES,
    mixed_bytes(b"-- Dump completed on 2026-01-01 00:00:00\n", 60),
    EXTS.filter(lambda e: e.startswith(".sql")),
)
def test_any_db_backup_and_manifest_verify(manifest: Any, data: bytes, ext: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"backup_a_20260101T000000Z{ext}"
        path.write_bytes(data)
        raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
        manifest_path(path).write_bytes(raw)
        read_manifest(path)
        v = verify_db_backup(path)
        assert all(isinstance(p, str) for p in v.problems)
        v.finished_at, v.age_seconds()
        assert not v.good or v.manifest is not None


RESOURCE = st.fixed_dictionaries(
    {
        "public_id": ANY_TEXT,
        "resource_type": st.sampled_from(["image", "video", ""]),
        "type": st.just("upload"),
    },
    optional={"bytes": JSON},
)
LINES = st.lists(RESOURCE.map(json.dumps) | ANY_TEXT | NASTY, max_size=5).map("\n".join)


@FUZZ_IO
@given(
    mutated(media_manifest("media_c_20260101T000000Z.jsonl", b"")) | MANIFEST_BYTES,
    LINES | mixed_bytes(b'{}":\n', 60),
)
def test_any_media_inventory_and_manifest_verify(manifest: Any, lines: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "media_c_20260101T000000Z.jsonl"
        path.write_bytes(
            lines if isinstance(lines, bytes) else lines.encode("utf-8", "surrogatepass")
        )
        raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
        manifest_path(path).write_bytes(raw)
        v = verify_media_inventory(path)
        assert all(isinstance(p, str) for p in v.problems)
        assert v.finished_at.tzinfo is not None and v.resumable in (True, False)


STATE = st.fixed_dictionaries(
    {
        "kind": st.just("media-state"),
        "format": st.just(1) | JSON,
        "file": st.just("media_c_20260101T000000Z.jsonl") | JSON,
        "cloud_name": st.just("c"),
        "started_at": st.just(NOW),
        "committed": st.integers(-1, 5),
        "resources": st.integers(0, 5),
        "resumes": st.integers(0, 2),
        "listings": JSON,
    }
)


@FUZZ_IO
@given(STATE.map(lambda s: json.dumps(s).encode()) | MANIFEST_BYTES)
def test_any_media_state_file_reads_or_raises_state_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / ".media_c_20260101T000000Z.state.json"
        path.write_bytes(data)
        try:
            read_state(path)
        except StateError as exc:
            assert str(exc)


SQL = st.text(alphabet="abc;\n-() ", max_size=200).map(lambda s: s.encode())
FOOTERS = st.sampled_from([b"-- Dump completed on 2026-12-02  2:45:16\n", b"-- Dump completed\n"])


@FUZZ_IO
@given(SQL, FOOTERS, st.sampled_from(["none", "gzip", "zstd"]), st.integers(1, 3))
def test_a_written_backup_verifies_good(
    sql: bytes, footer: bytes, compression: str, parts: int
) -> None:
    """Round trip: a dump (in 1-3 gzip members / zstd frames) and the manifest written for it."""
    body = sql + b"\n" + footer
    cut = [body[i * len(body) // parts : (i + 1) * len(body) // parts] for i in range(parts)]
    if compression == "gzip":
        data = b"".join(gzip.compress(c) for c in cut)
    elif compression == "zstd":
        data = b"".join(zstandard.ZstdCompressor().compress(c) for c in cut)
    else:
        data = body
    ext = {"none": ".sql", "gzip": ".sql.gz", "zstd": ".sql.zst"}[compression]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"backup_app_20260101T000000Z{ext}"
        path.write_bytes(data)
        manifest = db_manifest(path.name, data) | {"compression": compression}
        write_manifest(manifest_path(path), manifest)
        v = verify_db_backup(path)
        assert v.good, v.problems
        assert list_backups(Path(d)).databases[0].path == path
        os.utime(path)
