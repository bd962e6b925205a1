"""The backup format itself: names, manifests, listing, and one-pass verification."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import stat
import time
import tracemalloc
from pathlib import Path

import pytest

from launchtui.core.files import partial_path
from launchtui.probes import backup_files as bf
from launchtui.probes import backup_verify as bv
from tests.checks_backups.builders import (
    NOW,
    dump_text,
    make_db_backup,
    make_media_inventory,
    make_partial,
    resource,
)

# -- names -----------------------------------------------------------------


def test_backup_name_is_the_utc_start_with_a_file_safe_database_name() -> None:
    when = dt.datetime(2026, 11, 25, 19, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert bf.backup_name("app db/x", when) == "backup_app-db-x_20261125T170005Z.sql"
    assert bf.backup_name("appdb", when, compressed=True).endswith("T170005Z.sql.gz")
    assert bf.media_name("my-cloud", when) == "media_my-cloud_20261125T170005Z.jsonl"


def test_backup_name_refuses_a_time_without_a_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        bf.backup_name("appdb", dt.datetime(2026, 1, 1))


def test_manifest_sits_beside_the_dump_under_the_same_stem() -> None:
    assert bf.manifest_path(Path("/b/backup_app_20260101T000000Z.sql.gz")) == Path(
        "/b/backup_app_20260101T000000Z.manifest.json"
    )
    assert bf.manifest_path(Path("/b/media_demo_20260101T000000Z.jsonl")).name == (
        "media_demo_20260101T000000Z.manifest.json"
    )
    assert partial_path(Path("/b/x.sql")) == Path("/b/.x.sql.partial")


# -- manifests -------------------------------------------------------------


def test_write_manifest_is_atomic_private_and_reads_back(tmp_path: Path) -> None:
    dump = make_db_backup(tmp_path)
    mpath = bf.manifest_path(dump)
    # A stale temp file left world-readable by a crash must not keep its mode.
    stale = partial_path(mpath)
    stale.write_text("junk")
    stale.chmod(0o644)
    data = json.loads(mpath.read_text())
    bf.write_manifest(mpath, data)
    assert stat.S_IMODE(mpath.stat().st_mode) == 0o600
    assert not stale.exists()
    assert bf.read_manifest(dump) == (data, None)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"sha256": "abc"}, "64 lowercase hex"),
        ({"bytes": True}, "`bytes` has the wrong type"),
        ({"flavor": "oracle"}, "not mariadb or mysql"),
        ({"host": "user:pw@host"}, "not a bare host name"),
        ({"rows": {"users": 1}}, "counts rows for 1 tables"),
        ({"finished_at": "2020-01-01T00:00:00Z"}, "finished before it started"),
        ({"format": 2}, "newer than this launchtui reads"),
        ({"file": "backup_other_20260101T000000Z.sql"}, "is not the manifest name"),
    ],
)
def test_write_manifest_refuses_a_manifest_that_breaks_the_format(
    tmp_path: Path, change: dict[str, object], words: str
) -> None:
    dump = make_db_backup(tmp_path)
    mpath = bf.manifest_path(dump)
    data = {**json.loads(mpath.read_text()), **change}
    before = mpath.read_bytes()
    with pytest.raises(ValueError, match=words):
        bf.write_manifest(mpath, data)
    assert mpath.read_bytes() == before


def test_media_manifest_rules_for_cursor_and_counts() -> None:
    base = {
        "kind": "media",
        "format": 1,
        "file": "media_demo_20260101T000000Z.jsonl",
        "bytes": 10,
        "sha256": "0" * 64,
        "cloud_name": "demo",
        "resources": 3,
        "by_type": {"image/upload": 2, "video/upload": 1},
        "complete": True,
        "next_cursor": None,
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:00:09Z",
    }
    assert bf.validate_manifest(base, "media") == []
    assert bf.validate_manifest({**base, "complete": False, "next_cursor": "c2"}, "media") == []
    assert (
        "no `next_cursor` to resume from"
        in bf.validate_manifest({**base, "complete": False}, "media")[0]
    )
    assert "do not add up" in bf.validate_manifest({**base, "resources": 4}, "media")[0]
    assert "of kind 'database'" in bf.validate_manifest({**base, "kind": "database"}, "media")[0]


# -- listing ---------------------------------------------------------------


def test_listing_orders_newest_first_and_never_counts_partials_as_backups(tmp_path: Path) -> None:
    old = make_db_backup(tmp_path, age=dt.timedelta(days=2))
    new = make_db_backup(tmp_path, age=dt.timedelta(hours=1), compressed=True)
    partial = make_partial(tmp_path, bf.backup_name("appdb", NOW), age=dt.timedelta(hours=3))
    fresh = make_partial(tmp_path, bf.media_name("demo", NOW), age=dt.timedelta(minutes=2))
    (tmp_path / "notes.txt").write_text("not a backup")
    listing = bf.list_backups(tmp_path)
    assert [b.path for b in listing.databases] == [new, old]
    assert listing.media == ()
    assert {p.path for p in listing.partials} == {partial, fresh}
    assert [p.path for p in listing.stale_partials("database")] == [partial]
    assert listing.stale_partials("media") == []
    assert bf.newest_db_backup(tmp_path) == new
    assert bf.newest_media_inventory(tmp_path) is None
    assert bf.newest_db_backup(tmp_path / "missing") is None


# -- database dumps --------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
def test_a_complete_dump_verifies_with_footer_checksum_and_size(
    tmp_path: Path, compressed: bool
) -> None:
    path = make_db_backup(tmp_path, compressed=compressed)
    v = bv.verify_db_backup(path)
    assert v.problems == []
    assert v.good
    assert v.footer is not None and v.footer.startswith("-- Dump completed on ")
    assert v.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert v.size == path.stat().st_size


def test_a_big_gzip_dump_is_checked_in_bounded_memory(tmp_path: Path) -> None:
    # 19 MB of SQL compresses to well under one read chunk, so one chunk inflates to many.
    text = dump_text("appdb", {"events": 600_000}, when=NOW)
    path = make_db_backup(tmp_path, compressed=True, content=gzip.compress(text, 1))
    tracemalloc.start()
    v = bv.verify_db_backup(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(text) > 15 * bv.CHUNK
    assert v.good, v.problems
    assert peak < 8 * bv.CHUNK


def test_concatenated_gzip_members_are_one_dump(tmp_path: Path) -> None:
    text = dump_text("appdb", {"users": 50}, when=NOW)
    half = len(text) // 2
    content = gzip.compress(text[:half]) + gzip.compress(text[half:])
    v = bv.verify_db_backup(make_db_backup(tmp_path, compressed=True, content=content))
    assert v.good, v.problems


def test_a_killed_dump_has_no_footer(tmp_path: Path) -> None:
    v = bv.verify_db_backup(make_db_backup(tmp_path, footer=False))
    assert not v.good
    assert "no `-- Dump completed` footer" in v.problems[0]


def test_a_footer_followed_by_more_sql_is_not_the_end(tmp_path: Path) -> None:
    text = dump_text("appdb", {"users": 3}, when=NOW) + b"INSERT INTO `users` VALUES (9,'x');\n"
    v = bv.verify_db_backup(make_db_backup(tmp_path, content=text))
    assert "no `-- Dump completed` footer" in v.problems[0]


def test_a_dump_without_date_keeps_the_short_footer(tmp_path: Path) -> None:
    text = dump_text("appdb", {"users": 3}, when=NOW, footer=False) + b"-- Dump completed\n"
    v = bv.verify_db_backup(make_db_backup(tmp_path, content=text))
    assert v.good and v.footer == "-- Dump completed"


def test_a_truncated_gzip_is_named_as_such(tmp_path: Path) -> None:
    whole = gzip.compress(dump_text("appdb", {"users": 500}, when=NOW))
    v = bv.verify_db_backup(make_db_backup(tmp_path, compressed=True, content=whole[:-200]))
    assert v.problems == [
        "its gzip stream is truncated (the file ends mid-stream, so the dump was cut off)"
    ]


def test_a_gzip_whose_crc_fails_is_corrupted(tmp_path: Path) -> None:
    whole = bytearray(gzip.compress(dump_text("appdb", {"users": 5}, when=NOW)))
    whole[-8] ^= 0xFF  # the CRC32 in the gzip trailer
    v = bv.verify_db_backup(make_db_backup(tmp_path, compressed=True, content=bytes(whole)))
    assert v.problems[0] == "its gzip checksum fails, so the data is corrupted"


def test_a_plain_dump_named_gz_is_not_gzip(tmp_path: Path) -> None:
    text = dump_text("appdb", {"users": 5}, when=NOW)
    v = bv.verify_db_backup(make_db_backup(tmp_path, compressed=True, content=text))
    assert v.problems[0] == "it is named .gz but is not gzip data"


def test_junk_after_the_gzip_stream_is_named(tmp_path: Path) -> None:
    content = gzip.compress(dump_text("appdb", {"users": 5}, when=NOW)) + b"garbage"
    v = bv.verify_db_backup(make_db_backup(tmp_path, compressed=True, content=content))
    assert v.problems[0] == "it has stray bytes after the end of its gzip stream"


def test_a_changed_dump_fails_its_checksum(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    v = bv.verify_db_backup(path)
    assert v.footer is not None
    assert v.problems == [
        "its sha256 does not match the manifest (the file changed or was damaged after writing)"
    ]


def test_a_dump_without_manifest_or_with_garbage_manifest_is_not_good(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path)
    mpath = bf.manifest_path(path)
    mpath.write_bytes(b"{\x00 not json")
    assert "is not valid JSON" in bv.verify_db_backup(path).problems[0]
    mpath.write_text("[1, 2]")
    assert bv.verify_db_backup(path).problems == ["its manifest is not a JSON object"]
    mpath.unlink()
    v = bv.verify_db_backup(path)
    assert v.problems == [f"its manifest {mpath.name} is missing"]
    assert v.footer is not None and not v.good


def test_an_empty_dump_is_reported_empty(tmp_path: Path) -> None:
    assert bv.verify_db_backup(make_db_backup(tmp_path, content=b"")).problems[0] == "it is empty"


def test_verification_stops_at_its_deadline(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path)
    v = bv.verify_db_backup(path, deadline=time.monotonic() - 1)
    assert v.timed_out and not v.ok


def test_an_unreadable_dump_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path)
    path.unlink()
    path.mkdir()  # a directory where the dump should be: open() fails
    assert "cannot be read" in bv.verify_db_backup(path).problems[0]


# -- media inventories -----------------------------------------------------


def test_a_complete_inventory_verifies_with_counts_per_type(tmp_path: Path) -> None:
    v = bv.verify_media_inventory(make_media_inventory(tmp_path))
    assert v.problems == []
    assert v.good and v.lines == 44
    assert v.by_type == {"image/upload": 40, "video/upload": 3, "raw/private": 1}


def test_an_inventory_with_a_broken_line_names_it(tmp_path: Path) -> None:
    items = [resource(i) for i in range(4)]
    lines = [json.dumps(r) for r in items]
    lines[2] = lines[2][:30]  # a line cut short
    lines[3] = json.dumps({"public_id": "x"})  # not a whole resource
    content = ("\n".join(lines) + "\n").encode()
    v = bv.verify_media_inventory(make_media_inventory(tmp_path, resources=items, content=content))
    assert v.problems[0] == "line 3 is not a resource as JSON (2 bad lines in all)"


def test_an_inventory_shorter_than_its_manifest_is_caught(tmp_path: Path) -> None:
    items = [resource(i) for i in range(5)]
    content = "".join(json.dumps(r) + "\n" for r in items[:4]).encode()
    v = bv.verify_media_inventory(make_media_inventory(tmp_path, resources=items, content=content))
    assert "it lists 4 resources but its manifest says 5" in v.problems


def test_an_overlong_line_is_one_bad_line_without_loading_it(tmp_path: Path) -> None:
    items = [resource(i) for i in range(3)]
    lines = [json.dumps(items[0]), "x" * (3 * bv.CHUNK), json.dumps(items[2])]
    content = ("\n".join(lines) + "\n").encode()
    v = bv.verify_media_inventory(make_media_inventory(tmp_path, resources=items, content=content))
    assert v.lines == 3
    assert v.problems[0] == "line 2 is not a resource as JSON"


def test_an_interrupted_listing_is_resumable_not_broken(tmp_path: Path) -> None:
    path = make_media_inventory(
        tmp_path, complete=False, next_cursor="8edbc61040178db60b0973ca9494bf3a"
    )
    v = bv.verify_media_inventory(path)
    assert v.ok and not v.good and v.resumable


def test_the_media_timestamps_decide_its_age(tmp_path: Path) -> None:
    v = bv.verify_media_inventory(make_media_inventory(tmp_path, age=dt.timedelta(days=8)))
    assert 8 * 86400 - 60 < v.age_seconds() < 8 * 86400 + 60
    os.utime(v.path, None)  # a fresh mtime (a copy) does not make an old inventory new
    assert bv.verify_media_inventory(v.path).age_seconds() > 8 * 86400 - 60
