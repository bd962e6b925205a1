"""backup.offsite against a real S3 API: pass, fail (missing, tampered, unreachable), skip."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
from pathlib import Path

import pytest

from launchtui.actions import offsite
from launchtui.core.config import Settings
from launchtui.core.model import Result
from launchtui.probes.backup_files import manifest_path
from tests import runner
from tests.actions.after_run import context, run_after
from tests.checks_backups.builders import make_db_backup, make_media_inventory
from tests.servers.mariadb import free_port
from tests.servers.s3 import SECRET_KEY, Bucket

H = dt.timedelta(hours=1)


async def _check(
    backup_dir: Path,
    s3: Bucket | None,
    *,
    offsite_url: str | None = None,
    endpoint: str | None = None,
) -> Result:
    settings = Settings(
        backup_dir=backup_dir,
        offsite=offsite_url if offsite_url is not None else (s3.url() if s3 else None),
        offsite_endpoint=endpoint if endpoint is not None else (s3.endpoint if s3 else None),
    )
    environ = s3.environ() if s3 else {"PATH": os.environ["PATH"]}
    return await runner.run_check("backup.offsite", environ, settings)


async def _copy(directory: Path, s3: Bucket, path: Path, kind: str = "database") -> None:
    run = await run_after(context(directory, s3), path, kind)
    assert run.done.ok, run.done.summary


async def test_both_kinds_offsite_pass(tmp_path: Path, s3: Bucket) -> None:
    db, media = make_db_backup(tmp_path), make_media_inventory(tmp_path)
    await _copy(tmp_path, s3, db)
    await _copy(tmp_path, s3, media, "media")
    r = await _check(tmp_path, s3)
    assert r.status == "pass", r.summary
    assert db.name in r.summary and media.name in r.summary
    assert r.evidence["offsite database"] == "same size and sha256"
    assert r.evidence["offsite media"] == "same size and sha256"
    assert r.evidence["offsite"] == s3.url() + "/"


async def test_a_newest_backup_not_copied_fails_naming_it_and_the_command(
    tmp_path: Path, s3: Bucket
) -> None:
    older = make_db_backup(tmp_path, age=5 * H)
    await _copy(tmp_path, s3, older)
    newest = make_db_backup(tmp_path, age=H)  # taken without --offsite
    r = await _check(tmp_path, s3)
    assert r.status == "fail"
    assert f"The newest database backup {newest.name} is not offsite: it is missing" in r.summary
    assert (
        r.command == f"launchtui backup db --offsite {s3.url()}/ --offsite-endpoint {s3.endpoint}"
    )
    assert r.command in r.remediation


async def test_a_media_inventory_not_copied_names_backup_media(tmp_path: Path, s3: Bucket) -> None:
    db, media = make_db_backup(tmp_path), make_media_inventory(tmp_path)
    await _copy(tmp_path, s3, db)
    r = await _check(tmp_path, s3)
    assert r.status == "fail"
    assert media.name in r.summary and db.name not in r.summary
    assert r.command is not None and r.command.startswith("launchtui backup media --offsite ")
    assert r.evidence["offsite database"] == "same size and sha256"


async def test_a_tampered_remote_object_of_the_same_size_fails_on_sha256(
    tmp_path: Path, s3: Bucket
) -> None:
    db = make_db_backup(tmp_path)
    await _copy(tmp_path, s3, db)
    key = f"nightly/{db.name}"
    forged = bytes(len(db.read_bytes()))  # same size, other bytes
    wrong_sha = "0" * 64
    s3.client.put_object(Bucket=s3.name, Key=key, Body=forged, Metadata={"sha256": wrong_sha})
    r = await _check(tmp_path, s3)
    assert r.status == "fail"
    assert "sha256 metadata is 000000000000" in r.summary and db.name in r.summary


async def test_an_overwritten_remote_object_fails_on_size(tmp_path: Path, s3: Bucket) -> None:
    db = make_db_backup(tmp_path)
    await _copy(tmp_path, s3, db)
    s3.client.put_object(Bucket=s3.name, Key=f"nightly/{db.name}", Body=b"-- truncated\n")
    r = await _check(tmp_path, s3)
    assert r.status == "fail"
    assert f"it is 13 bytes where the local file is {db.stat().st_size}" in r.summary


async def test_a_missing_remote_manifest_fails(tmp_path: Path, s3: Bucket) -> None:
    db = make_db_backup(tmp_path)
    await _copy(tmp_path, s3, db)
    s3.client.delete_object(Bucket=s3.name, Key=f"nightly/{manifest_path(db).name}")
    r = await _check(tmp_path, s3)
    assert r.status == "fail"
    assert f"its manifest object {s3.url()}/{manifest_path(db).name} is missing" in r.summary


async def test_no_offsite_location_skips_saying_which_key_sets_it(tmp_path: Path) -> None:
    make_db_backup(tmp_path)
    r = await _check(tmp_path, None)
    assert r.status == "skip"
    assert "No offsite location is configured" in r.summary
    assert 'offsite = "s3://bucket/prefix"' in r.remediation and "--offsite" in r.remediation


async def test_no_complete_local_backup_skips(tmp_path: Path, s3: Bucket) -> None:
    dead = make_db_backup(tmp_path)
    manifest_path(dead).unlink()
    r = await _check(tmp_path, s3)
    assert r.status == "skip"
    assert "No complete backup" in r.summary


async def test_a_refused_endpoint_fails_quickly(tmp_path: Path, s3: Bucket) -> None:
    make_db_backup(tmp_path)
    dead = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    r = await _check(tmp_path, s3, endpoint=dead)
    assert r.status == "fail"
    assert "Could not connect" in r.summary and dead in r.summary
    assert time.monotonic() - started < 15


async def test_an_endpoint_that_never_answers_fails_within_the_timeouts(
    tmp_path: Path, s3: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A listener that accepts connections and never says a word: the read timeout fires.
    silent = socket.create_server(("127.0.0.1", 0))
    monkeypatch.setitem(offsite.CHECK_TIMEOUTS, "read", 0.5)
    monkeypatch.setitem(offsite.CHECK_TIMEOUTS, "attempts", 1)
    make_db_backup(tmp_path)
    try:
        started = time.monotonic()
        r = await _check(tmp_path, s3, endpoint=f"http://127.0.0.1:{silent.getsockname()[1]}")
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert r.status == "fail", r.summary
    assert "did not answer in time" in r.summary
    assert elapsed < 10


async def test_a_malformed_profile_url_fails_naming_the_key(tmp_path: Path, s3: Bucket) -> None:
    make_db_backup(tmp_path)
    r = await _check(tmp_path, s3, offsite_url="s3://Bad_Bucket/x")
    assert r.status == "fail"
    assert r.summary.startswith("The profile's `offsite` key 's3://Bad_Bucket/x'")


async def test_the_secret_never_appears_in_the_result(tmp_path: Path, s3: Bucket) -> None:
    db = make_db_backup(tmp_path)
    await _copy(tmp_path, s3, db)
    ok = await _check(tmp_path, s3)
    dead = await _check(tmp_path, s3, endpoint=f"http://127.0.0.1:{free_port()}")
    assert (ok.status, dead.status) == ("pass", "fail")
    text = json.dumps([ok.to_dict(), dead.to_dict()])
    assert SECRET_KEY not in text and "AKIALAUNCHTUITEST0001" not in text
