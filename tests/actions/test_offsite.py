"""The offsite copy after a backup, against a real S3 API (moto_server on loopback)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import os
from pathlib import Path

import pytest

from launchtui.actions.backup_after import after_backup, plan_steps
from launchtui.actions.offsite import (
    MULTIPART_THRESHOLD,
    parse_endpoint,
    parse_offsite_url,
)
from launchtui.core.actions import ActionError, Progress
from launchtui.core.secrets import MASK
from launchtui.probes.backup_files import manifest_path
from tests.actions.after_run import context, run_after
from tests.checks_backups.builders import make_db_backup, make_media_inventory
from tests.servers.mariadb import free_port
from tests.servers.s3 import SECRET_KEY, Bucket
from tests.servers.slow_link import SlowLink


def _manifest(path: Path) -> dict:
    return json.loads(manifest_path(path).read_text())


async def test_a_backup_is_copied_verified_and_recorded_in_its_manifest(
    tmp_path: Path, s3: Bucket
) -> None:
    path = make_db_backup(tmp_path)
    local = _manifest(path)
    run = await run_after(context(tmp_path, s3), path)

    key = f"nightly/{path.name}"
    url = f"s3://{s3.name}/{key}"
    assert run.done.ok, run.done.summary
    assert run.done.fields["offsite"] == url
    assert (
        run.done.summary.startswith(f"Copied to {url} (") and "sha256 verified" in run.done.summary
    )
    # The object: the same bytes, its size, and the file's own sha256 as metadata.
    assert s3.body(key) == path.read_bytes()
    obj = s3.head(key)
    assert obj["ContentLength"] == path.stat().st_size
    assert (
        obj["Metadata"]["sha256"]
        == local["sha256"]
        == hashlib.sha256(path.read_bytes()).hexdigest()
    )
    # The manifest went too, after the backup object, with the offsite record in it.
    mkey = f"nightly/{manifest_path(path).name}"
    assert sorted(s3.object_keys()) == sorted([key, mkey])
    remote_manifest = json.loads(s3.body(mkey))
    # The local manifest records what was proven: where, what, when and how.
    record = _manifest(path)["offsite"]
    assert remote_manifest["offsite"] == record
    assert record["url"] == url and record["bucket"] == s3.name and record["key"] == key
    assert record["manifest_key"] == mkey
    assert record["endpoint"] == s3.endpoint
    assert record["bytes"] == local["bytes"] and record["sha256"] == local["sha256"]
    assert dt.datetime.fromisoformat(record["verified_at"]) <= dt.datetime.now(dt.UTC)
    assert "ContentLength" in record["verified_by"] and "sha256" in record["verified_by"]
    # Everything else in the manifest is as the backup wrote it.
    assert {k: v for k, v in _manifest(path).items() if k != "offsite"} == local
    # Progress in bytes, ending at the whole file.
    assert run.progress and all(p.unit == "bytes" for p in run.progress)
    assert run.progress[-1].done == run.progress[-1].total == path.stat().st_size
    assert any(url in line for line in run.lines)


async def test_a_file_over_the_threshold_goes_up_in_parts(tmp_path: Path, s3: Bucket) -> None:
    content = os.urandom(12_000_000)  # over the 8 MiB threshold: two parts
    assert len(content) > MULTIPART_THRESHOLD
    path = make_db_backup(tmp_path, content=content)
    run = await run_after(context(tmp_path, s3, prefix="big/one"), path)

    assert run.done.ok, run.done.summary
    key = f"big/one/{path.name}"
    obj = s3.head(key)
    # A multipart object's ETag is "<md5 of part md5s>-<parts>": it went up in two parts.
    assert obj["ETag"].strip('"').endswith("-2")
    assert obj["ContentLength"] == len(content)
    assert obj["Metadata"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert hashlib.sha256(s3.body(key)).hexdigest() == hashlib.sha256(content).hexdigest()
    assert s3.pending_uploads() == []
    done = [p.done for p in run.progress]
    assert done == sorted(done) and done[-1] == len(content)
    assert "12.0 MB" in run.done.summary


async def test_a_media_inventory_goes_offsite_and_its_download_folder_stays_local(
    tmp_path: Path, s3: Bucket
) -> None:
    path = make_media_inventory(tmp_path)
    folder = tmp_path / path.name.removesuffix(".jsonl")
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"jpeg")
    run = await run_after(context(tmp_path, s3), path, "media")

    assert run.done.ok, run.done.summary
    assert s3.object_keys() == sorted(
        [f"nightly/{path.name}", f"nightly/{manifest_path(path).name}"]
    )
    assert _manifest(path)["offsite"]["sha256"] == _manifest(path)["sha256"]
    assert any(f"{folder.name}/ stay local only" in line for line in run.lines)


async def test_a_refused_endpoint_keeps_the_local_backup_and_says_so(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path)
    before = (path.read_bytes(), manifest_path(path).read_bytes())
    dead = f"http://127.0.0.1:{free_port()}"
    ctx = context(
        tmp_path,
        offsite="s3://launchtui-nowhere/nightly",
        endpoint=dead,
        environ={"AWS_ACCESS_KEY_ID": "AKIAX", "AWS_SECRET_ACCESS_KEY": SECRET_KEY},
    )
    run = await run_after(ctx, path)

    assert not run.done.ok
    assert run.done.fields["offsite"] is None
    assert "Could not connect" in run.done.summary and dead in run.done.summary
    assert f"The local backup {path.name} is kept." in run.done.summary
    assert (path.read_bytes(), manifest_path(path).read_bytes()) == before
    assert SECRET_KEY not in run.text()


async def test_a_missing_bucket_keeps_the_local_backup_and_names_the_bucket(
    tmp_path: Path, s3: Bucket
) -> None:
    path = make_db_backup(tmp_path)
    before = manifest_path(path).read_bytes()
    run = await run_after(context(tmp_path, s3, offsite="s3://launchtui-no-such-bucket/x"), path)

    assert not run.done.ok
    assert "The bucket launchtui-no-such-bucket does not exist" in run.done.summary
    assert "kept" in run.done.summary and "offsite_error" in run.done.fields
    assert path.exists() and manifest_path(path).read_bytes() == before


async def test_a_local_file_that_differs_from_its_manifest_is_not_copied(
    tmp_path: Path, s3: Bucket
) -> None:
    path = make_db_backup(tmp_path)
    with open(path, "ab") as f:
        f.write(b"-- appended after the manifest was written\n")
    run = await run_after(context(tmp_path, s3), path)

    assert not run.done.ok
    assert "its manifest says" in run.done.summary
    assert s3.object_keys() == []


async def test_cancelling_a_multipart_upload_aborts_it_and_leaves_no_parts(
    tmp_path: Path, s3: Bucket
) -> None:
    content = os.urandom(12_000_000)
    path = make_db_backup(tmp_path, content=content)
    # A slow link in front of the server, so the upload is surely still running when cancelled.
    link = SlowLink(s3.server.port, round_trip=0.02)
    try:
        ctx = context(tmp_path, s3, endpoint=f"http://127.0.0.1:{link.port}")
        started = asyncio.Event()

        async def consume() -> None:
            async for event in after_backup(ctx, {}, "database", path):
                if isinstance(event, Progress) and event.done > 0:
                    started.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(started.wait(), 30)
        # There is a multipart upload under way to abort (CreateMultipartUpload came first).
        assert [u["Key"] for u in s3.pending_uploads()] == [f"nightly/{path.name}"]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        ctx.close()
    finally:
        link.close()

    assert s3.pending_uploads() == []  # aborted: no orphaned parts
    assert s3.object_keys() == []  # and no object under the final key
    assert path.read_bytes() == content and "offsite" not in _manifest(path)


async def test_the_secret_never_appears_in_events_json_logs_or_errors(
    tmp_path: Path, s3: Bucket, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, botocore's own included
    good = make_db_backup(tmp_path / "a")
    ok_run = await run_after(context(tmp_path / "a", s3, keep=1), good)
    assert ok_run.done.ok, ok_run.done.summary
    bad = make_db_backup(tmp_path / "b")
    dead = f"http://127.0.0.1:{free_port()}"
    failed_run = await run_after(context(tmp_path / "b", s3, endpoint=dead), bad)
    assert not failed_run.done.ok
    # A secret pasted into the URL itself is not echoed back either.
    pasted = await run_after(
        context(tmp_path / "b", s3, offsite=f"s3://AKIAX:{SECRET_KEY}@bucket/x"), bad
    )
    assert not pasted.done.ok and "--offsite" not in pasted.done.summary
    assert "offsite" in pasted.done.summary

    everything = "\n".join(
        [
            ok_run.text(),
            failed_run.text(),
            pasted.text(),
            json.dumps([r.done.fields for r in (ok_run, failed_run, pasted)]),
            manifest_path(good).read_text(),
            s3.body(f"nightly/{manifest_path(good).name}").decode(),
            caplog.text,
        ]
    )
    assert everything.strip()
    assert SECRET_KEY not in everything
    # The run's redactor knows it, so the faces scrub it from anything else.
    assert ok_run.ctx is not None and ok_run.ctx.redactor.scrub(SECRET_KEY) == MASK


async def test_credentials_from_the_process_environment_are_used_and_scrubbed(
    tmp_path: Path, s3: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAPROCESSENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY + "-process")
    path = make_db_backup(tmp_path)
    # The env file's variables (the Context's environ) lack them: the process has them.
    run = await run_after(context(tmp_path, s3, environ={"PATH": os.environ["PATH"]}), path)
    assert run.done.ok, run.done.summary
    assert run.ctx is not None and run.ctx.redactor.scrub(SECRET_KEY + "-process") == MASK


async def test_half_a_key_pair_is_a_clear_error_and_keeps_the_backup(
    tmp_path: Path, s3: Bucket
) -> None:
    path = make_db_backup(tmp_path)
    run = await run_after(context(tmp_path, s3, environ={"AWS_ACCESS_KEY_ID": "AKIAONLY"}), path)
    assert not run.done.ok
    assert "AWS_SECRET_ACCESS_KEY is not" in run.done.summary
    assert path.exists() and s3.object_keys() == []


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://bucket/prefix", "must start with s3://"),
        ("s3://", "names no bucket"),
        ("s3:///prefix", "names no bucket"),
        ("s3://ab/x", "3 to 63 characters"),
        ("s3://" + "a" * 64, "3 to 63 characters"),
        ("s3://My_Bucket/x", "lowercase letters"),
        ("s3://-bucket/x", "begin and end"),
        ("s3://buc..ket/x", "two separators"),
        ("s3://bucket./x", "begin and end"),
        ("s3://192.168.1.10/x", "IP address"),
        ("s3://bucket:9000/x", "ports"),
        ("s3://bucket/a//b", "empty"),
        ("s3://bucket/a/../b", "'..'"),
        ("s3://bucket/x?versionId=1", "query"),
        ("s3://bucket/with space", "spaces"),
    ],
)
def test_a_malformed_offsite_url_is_a_clear_error_naming_the_flag(url: str, why: str) -> None:
    with pytest.raises(ActionError) as info:
        parse_offsite_url(url, source="--offsite")
    msg = str(info.value)
    assert msg.startswith("--offsite ") and why in msg, msg
    assert "s3://bucket/prefix" in msg  # says what a good one looks like


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://my-bucket", "my-bucket", ""),
        ("s3://my-bucket/", "my-bucket", ""),
        ("s3://my.bucket.2/a/b/", "my.bucket.2", "a/b/"),
        ("S3://abc/launchtui", "abc", "launchtui/"),
    ],
)
def test_good_offsite_urls_parse(url: str, bucket: str, prefix: str) -> None:
    loc = parse_offsite_url(url)
    assert (loc.bucket, loc.prefix) == (bucket, prefix)
    assert loc.key("f.sql") == f"{prefix}f.sql"


def test_a_bad_endpoint_names_its_key_and_never_echoes_credentials() -> None:
    with pytest.raises(ActionError, match="offsite_endpoint"):
        parse_endpoint("r2.example.com", source="The profile's `offsite_endpoint` key")
    with pytest.raises(ActionError) as info:
        parse_endpoint(f"https://key:{SECRET_KEY}@minio.local", source="--offsite-endpoint")
    assert "holds credentials" in str(info.value) and SECRET_KEY not in str(info.value)
    assert parse_endpoint("https://minio.local:9000/") == "https://minio.local:9000"


async def test_a_malformed_profile_url_ends_the_step_with_the_key_named(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path)
    run = await run_after(context(tmp_path, offsite="s3://x/backups"), path)
    assert not run.done.ok
    assert run.done.summary.startswith("The profile's `offsite` key 's3://x/backups'")
    assert f"The local backup {path.name} is kept" in run.done.summary
    assert path.exists()


async def test_nothing_asked_means_nothing_done(tmp_path: Path) -> None:
    path = make_db_backup(tmp_path)
    run = await run_after(context(tmp_path), path)
    assert run.done.ok and run.done.summary == "" and run.done.fields == {}
    assert run.lines == [] and run.progress == []


def test_the_plan_lines_say_where_and_how_many(tmp_path: Path) -> None:
    ctx = context(tmp_path, offsite="s3://acme-backups/db", endpoint="https://minio.local:9000")
    steps = plan_steps(ctx, {"keep": 7}, "database")
    assert steps[0].startswith(
        "Copy it and its manifest to s3://acme-backups/db/ on https://minio.local:9000"
    )
    assert (
        steps[1] == "Keep the newest 7 complete database backups of the same name here and offsite."
    )
    with pytest.raises(ActionError, match="--offsite"):
        plan_steps(ctx, {"offsite": "s3://A/b"}, "database")
