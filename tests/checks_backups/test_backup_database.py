"""backup.database through the real runner, over real dump files in a real directory."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

from launchtui.core.model import Result, Status
from launchtui.probes.backup_files import backup_name, manifest_path
from tests.checks_backups.builders import (
    NOW,
    dump_text,
    make_db_backup,
    make_media_inventory,
    make_partial,
    run_check,
)


async def _check(directory: Path) -> Result:
    return await run_check("backup.database", backup_dir=directory)


async def test_a_fresh_complete_plain_dump_passes(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path)
    r = await _check(tmp_path)
    assert r.status is Status.PASS, r
    assert r.summary.startswith(
        f"The newest database backup {path.name} is complete and matches its checksum (2 h old, "
        "2 tables,"
    )
    assert r.evidence["footer"].startswith("-- Dump completed on ")
    assert r.evidence["host"] == "gateway01.us-west-2.prod.aws.tidbcloud.com"
    assert r.evidence["dump tool"] == "mariadb-dump (mariadb 10.11.19)"


async def test_a_fresh_complete_gzip_dump_passes(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path, compressed=True, age=dt.timedelta(minutes=30))
    r = await _check(tmp_path)
    assert r.status is Status.PASS, r
    assert path.name in r.summary and "30 min old" in r.summary


async def test_a_killed_dump_without_footer_fails(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path, footer=False)
    r = await _check(tmp_path)
    assert r.status is Status.FAIL, r
    assert r.summary.startswith(f"The newest database backup {path.name} is broken: it has no")
    assert "`-- Dump completed` footer" in r.summary
    assert "there is no older backup to fall back on" in r.summary
    assert r.command == "launchtui backup db"
    assert r.evidence["footer"] == "missing"


async def test_a_truncated_gzip_dump_fails(tmp_path: Path) -> None:
    whole = gzip.compress(dump_text("appdb", {"users": 400}, when=NOW))
    make_db_backup(tmp_path, compressed=True, content=whole[: len(whole) // 2])
    r = await _check(tmp_path)
    assert r.status is Status.FAIL, r
    assert "its gzip stream is truncated" in r.summary


async def test_a_dump_whose_checksum_changed_fails(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path)
    data = bytearray(path.read_bytes())
    data[200] ^= 0x20
    path.write_bytes(bytes(data))
    r = await _check(tmp_path)
    assert r.status is Status.FAIL, r
    assert "its sha256 does not match the manifest" in r.summary


async def test_a_dump_without_manifest_fails(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path)
    manifest_path(path).unlink()
    r = await _check(tmp_path)
    assert r.status is Status.FAIL, r
    assert f"its manifest {manifest_path(path).name} is missing" in r.summary


async def test_a_dump_with_an_unparsable_manifest_fails(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path)
    manifest_path(path).write_text('{"kind": "database", "format": 1,')
    r = await _check(tmp_path)
    assert r.status is Status.FAIL, r
    assert "is not valid JSON" in r.summary


async def test_a_good_but_old_dump_warns_with_its_age(tmp_path: Path) -> None:
    make_db_backup(tmp_path, age=dt.timedelta(days=3))
    r = await _check(tmp_path)
    assert r.status is Status.WARN, r
    assert r.summary.startswith("The newest database backup is 3 days old")
    assert "more than a day of data" in r.summary
    assert r.command == "launchtui backup db"


async def test_newest_broken_names_the_newest_good_older_one(tmp_path: Path) -> None:
    good = make_db_backup(tmp_path, age=dt.timedelta(hours=26), compressed=True)
    make_db_backup(tmp_path, age=dt.timedelta(hours=10), footer=False)
    newest = make_db_backup(tmp_path, age=dt.timedelta(hours=1))
    manifest_path(newest).unlink()
    r = await _check(tmp_path)
    assert r.status is Status.FAIL, r
    assert r.summary.startswith(f"The newest database backup {newest.name} is broken")
    assert r.summary.endswith(f"the newest good one is {good.name} from 26 h ago.")
    assert r.evidence["backups here"] == "3"


async def test_newest_broken_and_older_broken_says_none_is_good(tmp_path: Path) -> None:
    make_db_backup(tmp_path, age=dt.timedelta(hours=30), footer=False)
    make_db_backup(tmp_path, age=dt.timedelta(hours=2), footer=False)
    r = await _check(tmp_path)
    assert r.status is Status.FAIL, r
    assert r.summary.endswith("none of the 1 older ones checked is good either.")


async def test_only_a_stale_partial_warns_about_an_interrupted_backup(tmp_path: Path) -> None:
    make_partial(tmp_path, backup_name("appdb", NOW), age=dt.timedelta(hours=3))
    r = await _check(tmp_path)
    assert r.status is Status.WARN, r
    assert r.summary.startswith(f"No finished database backup in {tmp_path}")
    assert "interrupted one" in r.summary and "3 h old" in r.summary


async def test_a_partial_being_written_now_is_not_a_backup_nor_a_warning(tmp_path: Path) -> None:
    make_partial(tmp_path, backup_name("appdb", NOW, compressed=True), age=dt.timedelta(minutes=5))
    r = await _check(tmp_path)
    assert r.status is Status.SKIP, r
    assert "holds none" in r.summary


async def test_a_good_backup_with_a_stale_partial_warns(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path)
    make_partial(tmp_path, backup_name("appdb", NOW), age=dt.timedelta(hours=2))
    r = await _check(tmp_path)
    assert r.status is Status.WARN, r
    assert f"{path.name} is good" in r.summary and "interrupted backup" in r.summary


async def test_an_empty_backup_dir_skips_with_the_backup_command(tmp_path: Path) -> None:
    make_media_inventory(tmp_path)  # media is not a database backup
    r = await _check(tmp_path)
    assert r.status is Status.SKIP, r
    assert r.summary == f"No database backup yet: the backup directory {tmp_path} holds none."
    assert r.command == "launchtui backup db"


async def test_a_missing_backup_dir_skips_with_the_backup_command(tmp_path: Path) -> None:
    r = await _check(tmp_path / "backups")
    assert r.status is Status.SKIP, r
    assert "does not exist yet" in r.summary
    assert r.command == "launchtui backup db"


async def test_a_backup_dir_that_is_a_file_fails(tmp_path: Path) -> None:
    target = tmp_path / "backups"
    target.write_text("oops")
    r = await _check(target)
    assert r.status is Status.FAIL, r
    assert f"The backup directory {target} is not a directory" in r.summary
