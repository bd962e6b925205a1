"""`launchtui backup media --download`: real httpx against the loopback delivery host.

The host serves each seeded asset's deterministic bytes, honours Range, refuses private and
authenticated assets without a valid SDK signature, and can be told to cut bodies short.
"""

from __future__ import annotations

import json
import ssl
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import trustme

from launchtui.actions import media_download
from launchtui.core.actions import ActionError, ActionEvent, Output, Progress
from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Status
from launchtui.probes.backup_files import read_manifest
from tests.actions.media_support import (
    NINE,
    ctx_for,
    finished,
    modes,
    options,
    run_backup,
    seeded,
)
from tests.cli import run_launchtui
from tests.probe_cloudinary.support import CANARY_KEY, CANARY_SECRET
from tests.servers.cloudinary_api import CloudinaryApi


@pytest.fixture(autouse=True)
def _short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media_download, "RETRY_DELAYS", (0.02, 0.05, 0.1))


def _seed_small(api: CloudinaryApi, cloud: str | None = None) -> None:
    """Five assets in each of the nine listings, of different sizes, one in a folder."""
    for i, key in enumerate(NINE):
        rtype, dtype = key.split("/")
        api.seed(5, rtype, dtype, size=300 + 97 * i, cloud=cloud)
    api.seed(2, "image", "upload", size=1234, folder="posts/2026", cloud=cloud)


def _local(root: Path, res: dict[str, Any]) -> Path:
    fmt = res.get("format")
    name = f"{res['public_id']}.{fmt}" if fmt else res["public_id"]
    return root / res["resource_type"] / res["type"] / name


def _delivery_paths(api: CloudinaryApi, status: int | None = None) -> list[str]:
    return [
        urllib.parse.unquote(urllib.parse.urlsplit(r.path).path)
        for r in api.requests_to("delivery")
        if status is None or r.status == status
    ]


async def test_every_original_is_downloaded_with_its_size_private_ones_through_signed_urls(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    api = cloudinary_api
    _seed_small(api)
    _, events = await run_backup(ctx_for(api, tmp_path), options(download=True))
    end = finished(events)
    assert end.ok, end.summary
    root = Path(end.fields["download_dir"])
    assert root.parent == tmp_path and root.name == Path(end.fields["path"]).stem
    truth = seeded(api)
    assert end.fields["downloaded"] == len(truth) == 47
    for res in truth.values():
        assert _local(root, res).read_bytes() == api.asset_bytes(res)
    assert not list(root.rglob(".*.partial"))
    files, dirs = modes(tmp_path)
    assert files == {0o600} and dirs == {0o700}
    # Private and authenticated assets asked for with the SDK's signature, never refused.
    paths = _delivery_paths(api)
    signed = [p for p in paths if "/private/" in p or "/authenticated/" in p]
    assert len(signed) == 30 and all("/s--" in p for p in signed)
    assert {r.status for r in api.requests_to("delivery")} == {200}
    manifest, _ = read_manifest(Path(end.fields["path"]))
    assert manifest is not None
    assert manifest["download"]["complete"] is True
    assert manifest["download"]["files"] == 47 and manifest["download"]["failed"] == 0
    progress = [e for e in events if isinstance(e, Progress) and e.unit == "bytes"]
    assert progress[-1].done == progress[-1].total == sum(r["bytes"] for r in truth.values())
    assert progress[-1].message.startswith("47 of 47 files")


async def test_a_body_cut_short_is_continued_with_a_range_request_in_the_same_run(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    api = cloudinary_api
    api.seed(6, "video", "upload", size=5000)
    api.fail(None, endpoint="delivery", truncate=1200, times=3)
    _, events = await run_backup(ctx_for(api, tmp_path), options(download=True))
    end = finished(events)
    assert end.ok, end.summary
    root = Path(end.fields["download_dir"])
    for res in seeded(api).values():
        assert _local(root, res).read_bytes() == api.asset_bytes(res)
    assert end.fields["download_resumed"] >= 1
    statuses = [r.status for r in api.requests_to("delivery")]
    assert statuses.count(206) == end.fields["download_resumed"]
    assert len(statuses) == 6 + statuses.count(206)  # a cut body is continued, not restarted


async def test_an_interrupted_download_resumes_next_run_and_skips_complete_files(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    api = cloudinary_api
    small = api.seed(8, "image", "upload", size=400)
    big = api.seed(3, "video", "authenticated", size=6000)
    # Every body is cut after 1,000 bytes: the small ones fit, the big ones never finish.
    api.fail(None, endpoint="delivery", truncate=1000)
    _, events = await run_backup(ctx_for(api, tmp_path), options(download=True))
    end = finished(events)
    assert not end.ok
    root = Path(end.fields["download_dir"])
    assert end.fields["downloaded"] == 8
    assert sorted(end.fields["download_failed"]) == sorted(
        str(_local(root, r).relative_to(root)) for r in big
    )
    assert "Could not download 3 of 11 originals" in (end.error or "")
    assert "`launchtui backup media --download --resume` fetches what is missing" in (
        end.error or ""
    )
    failures = [e.line for e in events if isinstance(e, Output) and "Could not download" in e.line]
    assert len(failures) == 3 and "the download broke off after 4000 bytes" in failures[0]
    for res in big:  # kept as partial files, never under the final name
        assert not _local(root, res).exists()
        partial = _local(root, res).with_name(f".{_local(root, res).name}.partial")
        assert partial.stat().st_size == 4 * 1000
    manifest, _ = read_manifest(Path(end.fields["path"]))
    assert manifest is not None and manifest["download"]["complete"] is False
    # The checklist item says so: the inventory is whole, its originals are not.
    (media,) = [r for r in end.checks if r.id == "backup.media"]
    assert media.status is Status.WARN, media.summary
    assert "the download of its originals is not (3 of 11 originals could not" in media.summary
    assert media.command == "launchtui backup media --download --resume"

    api.clear_faults()
    before = len(api.requests_to("delivery"))
    plan, events = await run_backup(ctx_for(api, tmp_path), options(download=True, resume=True))
    assert plan.summary == (
        f"Finish downloading the originals listed in {Path(end.fields['path']).name}."
    )
    again = finished(events)
    assert again.ok, again.summary
    assert again.fields["path"] == end.fields["path"]  # no new inventory was taken
    assert again.fields["download_skipped"] == 8 and again.fields["downloaded"] == 3
    second = api.requests_to("delivery")[before:]
    # Only the three unfinished files, once each, from where they stopped.
    assert sorted(r.status for r in second) == [206, 206, 206]
    assert all("/authenticated/" in r.path for r in second)
    assert len(api.requests_to("resources")) == 9  # the first run's listings, none since
    for res in small + big:
        assert _local(root, res).read_bytes() == api.asset_bytes(res)
    manifest, _ = read_manifest(Path(end.fields["path"]))
    assert manifest is not None and manifest["download"]["complete"] is True
    (media,) = [r for r in again.checks if r.id == "backup.media"]
    assert media.status is Status.PASS, media.summary
    assert media.evidence["originals"].startswith("all 11 originals in ")


async def test_an_asset_deleted_after_the_listing_is_named_and_the_others_are_kept(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    api = cloudinary_api
    kept = api.seed(4, "raw", "private", size=800)
    items = api.accounts[api.cloud].resources[("raw", "private")]

    def delete_one(event: ActionEvent) -> None:
        if isinstance(event, Output) and event.line.startswith("Downloading "):
            items.pop(0)

    _, events = await run_backup(ctx_for(api, tmp_path), options(download=True), delete_one)
    end = finished(events)
    assert not end.ok
    gone = kept[0]
    assert end.fields["download_failed"] == [f"raw/private/{gone['public_id']}"]
    assert "the delivery host answered HTTP 404 (Resource not found)" in (end.error or "")
    # A 404 is not retried: one request for the gone asset.
    assert sum(1 for p in _delivery_paths(api) if gone["public_id"] in p) == 1
    root = Path(end.fields["download_dir"])
    for res in kept[1:]:
        assert _local(root, res).read_bytes() == api.asset_bytes(res)
    assert Path(end.fields["path"]).exists()  # the inventory itself is complete and kept


async def test_over_https_the_ca_file_verifies_the_api_and_every_download(
    tmp_path: Path,
) -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    ca_pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    api = CloudinaryApi.start(tls=server_ctx)
    try:
        api.seed(3, "image", "upload", size=900)
        api.seed(3, "image", "private", size=700)
        host = f"127.0.0.1:{api.port}"
        url = (
            f"cloudinary://{api.key}:{api.secret}@{api.cloud}?upload_prefix=https://{host}"
            f"&secure=true&secure_distribution={host}"
        )
        env = {"CLOUDINARY_URL": url}
        untrusted = Context.build(Settings(backup_dir=tmp_path / "a"), environ=env)
        with pytest.raises(ActionError, match="certificate verify failed"):
            await run_backup(untrusted, options(download=True))
        trusted = Context.build(Settings(backup_dir=tmp_path / "b", ca_file=ca_pem), environ=env)
        _, events = await run_backup(trusted, options(download=True))
        end = finished(events)
        assert end.ok, end.summary
        root = Path(end.fields["download_dir"])
        for res in seeded(api).values():
            assert _local(root, res).read_bytes() == api.asset_bytes(res)
        signed = [p for p in _delivery_paths(api, 200) if "/private/s--" in p]
        assert len(signed) == 3  # fetched over https, verified with the same CA
    finally:
        api.stop()


def test_cli_download_json_and_no_secret_in_any_file_name_or_content(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    api = cloudinary_api
    api.add_account("canary-cloud", CANARY_KEY, CANARY_SECRET)
    _seed_small(api, cloud="canary-cloud")
    host = f"127.0.0.1:{api.port}"
    url = (
        f"cloudinary://{CANARY_KEY}:{CANARY_SECRET}@canary-cloud"
        f"?upload_prefix=http://{host}&cname={host}"
    )
    env = tmp_path / "backend.env"
    env.write_text(f"CLOUDINARY_URL={url}\n", encoding="utf-8")
    backups = tmp_path / "backups"
    proc = run_launchtui(
        "backup", "media", "--download", "--format", "json",
        "--env-file", str(env), "--backup-dir", str(backups),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["ok"] is True and doc["resources"] == 47 and doc["downloaded"] == 47
    assert list(doc)[-1] == "duration_ms"
    written = [p for p in backups.rglob("*")]
    assert len([p for p in written if p.is_file()]) == 47 + 2
    for p in written:
        assert CANARY_SECRET not in str(p)
        if p.is_file() and p.suffix in (".jsonl", ".json"):
            assert CANARY_SECRET not in p.read_text(encoding="utf-8")
    assert CANARY_SECRET not in proc.stdout + proc.stderr
    files, dirs = modes(backups)
    assert files == {0o600} and dirs == {0o700}
