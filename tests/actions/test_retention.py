"""--keep N after a backup: the newest N complete backups stay, locally and offsite."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from launchtui.probes.backup_files import manifest_path
from tests.actions.after_run import context, run_after
from tests.checks_backups.builders import make_db_backup, make_media_inventory, make_partial
from tests.servers.mariadb import free_port
from tests.servers.s3 import Bucket

H = dt.timedelta(hours=1)


def _five(directory: Path) -> list[Path]:
    """Five complete dumps of appdb, newest first (1 h to 5 h old)."""
    return [make_db_backup(directory, age=(i + 1) * H) for i in range(5)]


def _names(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


async def test_keep_2_of_5_removes_the_three_oldest_with_their_manifests(tmp_path: Path) -> None:
    newest, second, *old = _five(tmp_path)
    # Never touched: an interrupted dump, a dump whose writer died before its manifest,
    # and another database's backups in the same dir.
    partial = make_partial(tmp_path, newest.name.replace("T", "X"), age=20 * H)
    dead = make_db_backup(tmp_path, age=30 * H)
    manifest_path(dead).unlink()
    others = [make_db_backup(tmp_path, db="staging", age=(i + 10) * H) for i in range(3)]

    run = await run_after(context(tmp_path, keep=2), newest)

    assert run.done.ok, run.done.summary
    assert run.done.fields["pruned"] == [p.name for p in old]
    for p in old:
        assert not p.exists() and not manifest_path(p).exists()
        assert any(
            line.startswith(f"Removed {p.name} and {manifest_path(p).name}") for line in run.lines
        )
    for p in (newest, second, *others):
        assert p.exists() and manifest_path(p).exists()
    assert partial.exists() and dead.exists()
    assert "Kept the newest 2 database backups of appdb here, removed 3." in run.done.summary


async def test_the_backup_just_written_is_never_removed(tmp_path: Path) -> None:
    # Its stamp is older than two others' (a clock that was wrong, a re-run of an old job).
    a, b = make_db_backup(tmp_path, age=H), make_db_backup(tmp_path, age=2 * H)
    just = make_db_backup(tmp_path, age=9 * H)
    older = make_db_backup(tmp_path, age=10 * H)
    run = await run_after(context(tmp_path, keep=1), just)
    assert run.done.ok, run.done.summary
    assert just.exists() and manifest_path(just).exists()
    assert a.exists()  # the newest complete one is the one kept
    assert not b.exists() and not older.exists()
    assert run.done.fields["pruned"] == [b.name, older.name]


async def test_incomplete_backups_neither_count_nor_go(tmp_path: Path) -> None:
    newest = make_db_backup(tmp_path, age=H)
    # A manifest that does not match its file (the file grew after): not complete.
    odd = make_db_backup(tmp_path, age=2 * H)
    with open(odd, "ab") as f:
        f.write(b"more\n")
    kept = make_db_backup(tmp_path, age=3 * H)
    gone = make_db_backup(tmp_path, age=4 * H)
    run = await run_after(context(tmp_path, keep=2), newest)
    assert run.done.fields["pruned"] == [gone.name]
    assert odd.exists() and manifest_path(odd).exists() and kept.exists()


async def test_media_inventories_go_with_their_manifest_and_download_folder(
    tmp_path: Path,
) -> None:
    newest = make_media_inventory(tmp_path, age=H)
    stopped = make_media_inventory(tmp_path, age=2 * H, complete=False, next_cursor="abc123")
    old = make_media_inventory(tmp_path, age=3 * H)
    folder = tmp_path / old.name.removesuffix(".jsonl")
    (folder / "posts").mkdir(parents=True)
    (folder / "posts" / "a.jpg").write_bytes(b"jpeg")
    run = await run_after(context(tmp_path, keep=1), newest, "media")

    assert run.done.ok, run.done.summary
    assert run.done.fields["pruned"] == [old.name]
    assert not old.exists() and not manifest_path(old).exists() and not folder.exists()
    assert stopped.exists() and manifest_path(stopped).exists()  # resumable: untouched
    assert newest.exists()
    assert any(f"{folder.name}/" in line for line in run.lines)
    assert "media inventories of demo" in run.done.summary


async def test_offsite_keeps_the_newest_complete_ones_too(tmp_path: Path, s3: Bucket) -> None:
    newest, second, *old = _five(tmp_path)
    # The four older ones went offsite on earlier nights.
    for p in reversed([*old, second]):
        assert (await run_after(context(tmp_path, s3), p)).done.ok
    # An upload that died before its manifest object: incomplete offsite, left alone.
    stray = make_db_backup(tmp_path / "elsewhere", age=40 * H)
    s3.client.put_object(Bucket=s3.name, Key=f"nightly/{stray.name}", Body=stray.read_bytes())
    # Another database under the same prefix, and something under a deeper prefix.
    other = make_db_backup(tmp_path / "elsewhere", db="staging", age=50 * H)
    for key in (f"nightly/{other.name}", f"nightly/{manifest_path(other).name}", "nightly/x/y"):
        s3.client.put_object(Bucket=s3.name, Key=key, Body=b"{}")

    run = await run_after(context(tmp_path, s3, keep=2), newest)

    assert run.done.ok, run.done.summary
    gone = [f"nightly/{n}" for p in old for n in (p.name, manifest_path(p).name)]
    assert run.done.fields["pruned_offsite"] == [f"s3://{s3.name}/{k}" for k in gone]
    left = set(s3.object_keys())
    assert not left & set(gone)
    for p in (newest, second):
        assert {f"nightly/{p.name}", f"nightly/{manifest_path(p).name}"} <= left
    assert f"nightly/{stray.name}" in left
    assert f"nightly/{other.name}" in left and "nightly/x/y" in left
    assert run.done.fields["pruned"] == [p.name for p in old]  # and locally
    assert "Kept the newest 2 offsite, removed 3." in run.done.summary
    # What was kept offsite is still what the manifests say.
    record = json.loads(manifest_path(newest).read_text())["offsite"]
    assert s3.head(record["key"])["Metadata"]["sha256"] == record["sha256"]


async def test_a_failed_copy_prunes_locally_but_not_offsite(tmp_path: Path, s3: Bucket) -> None:
    newest, second, *old = _five(tmp_path)
    for p in reversed([*old, second]):
        assert (await run_after(context(tmp_path, s3), p)).done.ok
    before = s3.object_keys()
    dead = f"http://127.0.0.1:{free_port()}"
    run = await run_after(context(tmp_path, s3, keep=2, endpoint=dead), newest)

    assert not run.done.ok
    assert "pruned_offsite" not in run.done.fields
    assert s3.object_keys() == before
    assert "Offsite backups were not pruned, since this copy did not get there." in (
        run.done.summary
    )
    assert run.done.fields["pruned"] == [p.name for p in old]
    assert newest.exists()


async def test_keep_from_the_flag_wins_over_the_profile(tmp_path: Path) -> None:
    newest, *rest = _five(tmp_path)
    run = await run_after(context(tmp_path, keep=1), newest, options={"keep": 4})
    assert run.done.fields["pruned"] == [rest[-1].name]


async def test_a_bad_keep_in_the_profile_is_a_clear_sentence(tmp_path: Path) -> None:
    newest, *_ = _five(tmp_path)
    run = await run_after(context(tmp_path, keep=0), newest)
    assert not run.done.ok
    assert "The profile's `keep` key must be a whole number of backups, 1 or more." in (
        run.done.summary
    )
    assert len(list(tmp_path.glob("backup_*.sql"))) == 5
