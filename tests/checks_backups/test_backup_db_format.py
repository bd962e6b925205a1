"""The database dump format beyond .sql and .sql.gz: zstd, age, the extended manifest, and
backup.database over them (real zstd and age bytes, no live server needed)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import Any

import pyrage
import pytest
import zstandard

from launchtui.core.model import Status
from launchtui.probes.backup_files import (
    DB_NAME,
    backup_name,
    db_compression,
    list_backups,
    manifest_path,
    utc_iso,
    validate_manifest,
    write_manifest,
)
from launchtui.probes.backup_verify import FOOTER, verify_db_backup
from tests.checks_backups.builders import dump_text, now, run_check

WHEN = dt.datetime(2026, 12, 2, 2, 45, 16, tzinfo=dt.UTC)
# What mariadb-dump 10.11 really prints before 10 a.m.: the hour padded with a space.
MARIADB_FOOTER = b"-- Dump completed on 2026-12-02  2:45:16\n"
PROOF = {
    "ok": True,
    "at": "2026-12-02T02:46:00Z",
    "target": "scratch",
    "database": "appdb_launchtui_verify_20261202T024516Z",
    "host": "127.0.0.1",
    "dropped": True,
    "compared": "exact row counts (SELECT COUNT(*)) of 2 tables, and CHECKSUM TABLE of the 2 "
    "where both servers gave one",
    "tables": 2,
    "checksums": 2,
    "rows": 150,
    "differs": [],
    "note": "The source is compared as it is now.",
}


def sql(footer: bytes | None = MARIADB_FOOTER) -> bytes:
    text = dump_text("appdb", {"users": 30, "posts": 120}, when=WHEN, footer=False)
    return text + (footer or b"")


def zstd(data: bytes) -> bytes:
    c = zstandard.ZstdCompressor(level=3, write_checksum=True).compressobj()
    return c.compress(data) + c.flush()


def age(data: bytes, recipient: Any) -> bytes:
    out = io.BytesIO()
    pyrage.encrypt_io(io.BytesIO(data), out, [recipient])
    return out.getvalue()


def write_backup(
    directory: Path,
    content: bytes,
    *,
    compression: str = "zstd",
    encrypted_to: list[str] | None = None,
    **extra: Any,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    started = now() - dt.timedelta(hours=1)
    path = directory / backup_name(
        "appdb", started, compression=compression, encrypted=bool(encrypted_to)
    )
    path.write_bytes(content)
    manifest = {
        "kind": "database",
        "format": 1,
        "file": path.name,
        "bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "database": "appdb",
        "host": "127.0.0.1",
        "tables": 2,
        "tool": "mariadb-dump",
        "flavor": "mariadb",
        "tool_version": "10.11.19",
        "started_at": utc_iso(started),
        "finished_at": utc_iso(started + dt.timedelta(seconds=2)),
        "complete": True,
        "compression": compression,
        "encrypted_to": encrypted_to or [],
        "footer": MARIADB_FOOTER.decode().strip(),
        **extra,
    }
    write_manifest(manifest_path(path), manifest)
    return path


def test_the_footer_matches_mariadbs_space_padded_hour_and_mysqls_zero_padded_one() -> None:
    assert FOOTER.search(b"UNLOCK TABLES;\n\n" + MARIADB_FOOTER)
    assert FOOTER.search(b"x\n-- Dump completed on 2026-12-02 12:45:16\n")
    assert FOOTER.search(b"x\n-- Dump completed\n")
    assert not FOOTER.search(b"x\n-- Dump completed on 2026-12-02  2:45:16\nINSERT 1;\n")


@pytest.mark.parametrize("compression", ["zstd", "gzip", "none"])
@pytest.mark.parametrize("encrypted", [False, True])
def test_every_name_is_listed_and_has_its_manifest(
    tmp_path: Path, compression: str, encrypted: bool
) -> None:
    name = backup_name("shop db", WHEN, compression=compression, encrypted=encrypted)
    ext = {"zstd": ".zst", "gzip": ".gz", "none": ""}[compression] + (".age" if encrypted else "")
    assert name == f"backup_shop-db_20261202T024516Z.sql{ext}"
    assert DB_NAME.match(name) and db_compression(name) == compression
    path = tmp_path / name
    assert manifest_path(path).name == "backup_shop-db_20261202T024516Z.manifest.json"
    path.write_bytes(b"x")
    assert [b.path.name for b in list_backups(tmp_path).databases] == [name]


def test_the_old_compressed_flag_still_means_gzip() -> None:
    assert backup_name("appdb", WHEN, compressed=True).endswith(".sql.gz")


def test_a_complete_zstd_dump_passes_end_to_end(tmp_path: Path) -> None:
    path = write_backup(tmp_path, zstd(sql()))
    v = verify_db_backup(path)
    assert v.good, v.problems
    assert v.footer == "-- Dump completed on 2026-12-02  2:45:16"
    r = asyncio_run_check(tmp_path)
    assert r.status is Status.PASS, r.summary
    assert r.evidence["compression"] == "zstd"
    assert r.evidence["restore proof"].startswith("none: `launchtui backup db --verify-restore`")


def asyncio_run_check(directory: Path) -> Any:
    import asyncio

    return asyncio.run(run_check("backup.database", backup_dir=directory))


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda z: z[: len(z) - 8], "its zstd stream is truncated"),
        (lambda z: z[:12] + bytes([z[12] ^ 0xFF]) + z[13:], "zstd"),
        (lambda z: b"not zstd at all" * 10, "it is named .zst but is not zstd data"),
        (lambda z: z + b"garbage after the frame", "stray bytes after the end of its zstd"),
    ],
)
def test_a_damaged_zstd_dump_fails_even_when_its_manifest_matches(
    tmp_path: Path, damage: Any, words: str
) -> None:
    # The manifest describes the damaged bytes: only reading the stream can tell.
    path = write_backup(tmp_path, damage(zstd(sql())))
    v = verify_db_backup(path)
    assert not v.good
    assert words in v.problems[0], v.problems


def test_a_zstd_dump_without_its_footer_fails(tmp_path: Path) -> None:
    path = write_backup(tmp_path, zstd(sql(footer=None)))
    v = verify_db_backup(path)
    assert not v.good and "no `-- Dump completed` footer" in v.problems[0]


def test_a_tampered_zstd_dump_fails_its_checksum(tmp_path: Path) -> None:
    path = write_backup(tmp_path, zstd(sql()))
    path.write_bytes(zstd(sql().replace(b"row 7 of users", b"row 7 of usurp")))
    r = asyncio_run_check(tmp_path)
    assert r.status is Status.FAIL
    assert "sha256 does not match the manifest" in r.summary


@pytest.fixture(scope="module")
def key() -> Any:
    return pyrage.x25519.Identity.generate()


def test_an_encrypted_dump_is_checked_by_checksum_and_its_recorded_footer(
    tmp_path: Path, key: Any
) -> None:
    public = str(key.to_public())
    path = write_backup(tmp_path, age(zstd(sql()), key.to_public()), encrypted_to=[public])
    v = verify_db_backup(path)
    assert v.good and v.encrypted, v.problems
    r = asyncio_run_check(tmp_path)
    assert r.status is Status.PASS, r.summary
    assert r.evidence["footer"].startswith("-- Dump completed on 2026-12-02  2:45:16 (checked")
    assert "at backup time" in r.evidence["footer"]
    assert r.evidence["encrypted to"] == public


def test_a_tampered_encrypted_dump_fails(tmp_path: Path, key: Any) -> None:
    public = str(key.to_public())
    blob = bytearray(age(zstd(sql()), key.to_public()))
    path = write_backup(tmp_path, bytes(blob), encrypted_to=[public])
    blob[len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(blob))
    r = asyncio_run_check(tmp_path)
    assert r.status is Status.FAIL and "sha256 does not match" in r.summary


def test_an_encrypted_dump_needs_its_recorded_footer_and_real_age_data(
    tmp_path: Path, key: Any
) -> None:
    public = str(key.to_public())
    path = write_backup(
        tmp_path / "a", age(zstd(sql()), key.to_public()), encrypted_to=[public], footer=None
    )
    v = verify_db_backup(path)
    assert not v.good and "records no `-- Dump completed` footer" in v.problems[0]
    path = write_backup(tmp_path / "b", zstd(sql()), encrypted_to=[public])
    v = verify_db_backup(path)
    assert not v.good and v.problems[0] == "it is named .age but is not age-encrypted data"


def test_manifest_members_must_agree_with_the_name(tmp_path: Path) -> None:
    path = write_backup(tmp_path, zstd(sql()))
    base = {
        "kind": "database", "format": 1, "file": path.name, "bytes": 1, "sha256": "0" * 64,
        "database": "appdb", "host": "h", "tables": 0, "tool": "mariadb-dump",
        "flavor": "mariadb", "tool_version": "10.11.19", "complete": True,
        "started_at": "2026-12-02T02:45:16Z", "finished_at": "2026-12-02T02:45:18Z",
    }  # fmt: skip
    assert validate_manifest({**base, "compression": "zstd"}, "database") == []
    assert validate_manifest({**base, "compression": "gzip"}, "database") == [
        "its manifest's `compression` does not match the file's name"
    ]
    assert validate_manifest({**base, "compression": "lz4"}, "database") == [
        "its manifest's `compression` is 'lz4'"
    ]
    age_name = {**base, "file": path.name + ".age"}
    assert validate_manifest(age_name, "database") == [
        "its file is encrypted (.age) but its manifest names no recipients"
    ]
    assert validate_manifest({**base, "verify_restore": "yes"}, "database") == [
        "its manifest's `verify_restore` is not an object"
    ]


def test_the_restore_proof_is_in_the_evidence(tmp_path: Path) -> None:
    write_backup(tmp_path, zstd(sql()), verify_restore=PROOF)
    r = asyncio_run_check(tmp_path)
    assert r.status is Status.PASS
    assert r.evidence["restore proof"] == (
        "passed: restored at 2026-12-02T02:46:00Z into the scratch database "
        "appdb_launchtui_verify_20261202T024516Z on 127.0.0.1 (dropped afterwards); compared "
        "exact row counts (SELECT COUNT(*)) of 2 tables, and CHECKSUM TABLE of the 2 where both "
        "servers gave one: every table is equal (150 rows)."
    )


def test_a_failed_restore_proof_warns_and_names_the_tables(tmp_path: Path) -> None:
    failed = {
        **PROOF,
        "ok": False,
        "differs": [
            {"table": "posts", "source_rows": 121, "restored_rows": 120, "why": "row counts differ"}
        ],
    }
    write_backup(tmp_path, zstd(sql()), verify_restore=failed)
    r = asyncio_run_check(tmp_path)
    assert r.status is Status.WARN
    assert "restore test did not match the source" in r.summary
    assert "posts (row counts differ: source 121 rows, restored 120)" in r.summary
    assert r.command == "launchtui backup db --verify-restore"
