"""The writer's own re-check trusts what it saw streaming, only for that file unchanged."""

from __future__ import annotations

import os
from pathlib import Path

from launchtui.probes.backup_files import read_manifest
from launchtui.probes.backup_verify import just_written, verify_db_backup
from tests.checks_backups.builders import make_db_backup

WRONG = "0" * 64


def test_inside_the_scope_the_hash_seen_while_writing_is_used(tmp_path: Path) -> None:
    dump = make_db_backup(tmp_path)
    assert verify_db_backup(dump).good
    # A hash the writer "saw" that differs from the manifest shows the file was not re-read.
    with just_written(dump, WRONG, "-- Dump completed on 2026-12-02 03:00:00"):
        v = verify_db_backup(dump)
        assert not v.ok and "sha256 does not match" in " ".join(v.problems)
    assert verify_db_backup(dump).good  # outside the scope, the file is read again


def test_a_file_changed_after_writing_is_read_end_to_end_even_inside(tmp_path: Path) -> None:
    dump = make_db_backup(tmp_path)
    manifest, _ = read_manifest(dump)
    assert manifest is not None
    with just_written(dump, manifest["sha256"], "-- Dump completed"):
        data = dump.read_bytes()
        dump.write_bytes(data[:-40] + b"-- tampered" + data[-29:])
        os.utime(dump, ns=(1, 1))
        v = verify_db_backup(dump)
    assert not v.ok
    assert "sha256 does not match" in " ".join(v.problems)
