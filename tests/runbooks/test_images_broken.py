"""Runbook images-broken (4.4) against the loopback Cloudinary: each fault names its layer.

The Admin API and the delivery host are the real loopback server of tests/servers, spoken
to by the real SDK; faults are real answers (401 for a wrong secret, a usage report at
96 %, a 404 for a deleted asset, a frontend built for another cloud, a port that accepts
and never answers). Each runs through `run_runbook` in-process, the main ones also through
`launchtui runbook images-broken --format json`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.runbooks import RunbookFinished, run_runbook
from launchtui.runbooks import default_runbooks
from tests.cli import run_launchtui
from tests.probe_cloudinary.support import CANARY_KEY, CANARY_SECRET
from tests.servers.cloudinary_api import CloudinaryApi, SilentServer

RUNBOOK = default_runbooks()["images-broken"]
STEP_IDS = [
    "cloudinary.config",
    "cloudinary.ping",
    "cloudinary.quota",
    "cloudinary.asset",
    "cloudinary.cloud_name",
]
BUDGET_S = 45.0
BLACK_HOLE_S = 30.0
CONSOLE = "https://console.cloudinary.com/pm/c-launch/usage"


def with_credentials(api: CloudinaryApi, key: str | None = None, secret: str | None = None) -> str:
    """The account's CLOUDINARY_URL with its key or secret replaced."""
    a = api.accounts[api.cloud]
    host = f"127.0.0.1:{api.port}"
    return (
        f"cloudinary://{key or a.key}:{secret or a.secret}@{api.cloud}"
        f"?upload_prefix=http://{host}&cname={host}"
    )


def write_inventory(backup_dir: Path, cloud: str, resources: list[dict[str, Any]]) -> Path:
    """A media inventory in format 1 (as `launchtui backup media` names and writes it)."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    path = backup_dir / f"media_{cloud}_20261201T000000Z.jsonl"
    keys = ("public_id", "resource_type", "type", "format", "bytes", "secure_url", "version")
    path.write_text("".join(json.dumps({k: r.get(k) for k in keys}) + "\n" for r in resources))
    return path


async def run_images(
    cloudinary_url: str | None,
    *,
    frontend_cloud: str | None = None,
    backup_dir: Path,
    links: dict[str, str] | None = None,
) -> tuple[RunbookFinished, float]:
    """One pass in-process: the finished event and the seconds it took."""
    env: dict[str, str] = {}
    if cloudinary_url is not None:
        env["CLOUDINARY_URL"] = cloudinary_url
    if frontend_cloud is not None:
        env["VITE_CLOUDINARY_CLOUD_NAME"] = frontend_cloud
    settings = Settings(backup_dir=backup_dir, links=links or {})
    ctx = Context.build(settings, environ=env)
    started = time.perf_counter()
    try:
        async for event in run_runbook(RUNBOOK, ctx):
            if isinstance(event, RunbookFinished):
                return event, time.perf_counter() - started
    finally:
        ctx.close()
    raise AssertionError("run_runbook ended without RunbookFinished")


def cli_images(
    cloudinary_url: str, frontend_cloud: str, tmp_path: Path
) -> tuple[int, dict[str, Any], float]:
    """`launchtui runbook images-broken --format json` with real env files: exit, JSON, s."""
    env_file, fe_file = tmp_path / ".env.production", tmp_path / "frontend.env"
    env_file.write_text(f"CLOUDINARY_URL={cloudinary_url}\n")
    env_file.chmod(0o600)
    fe_file.write_text(f"VITE_CLOUDINARY_CLOUD_NAME={frontend_cloud}\n")
    started = time.perf_counter()
    proc = run_launchtui(
        "runbook",
        "images-broken",
        "--format",
        "json",
        "--env-file",
        str(env_file),
        "--frontend-env-file",
        str(fe_file),
        "--backup-dir",
        str(tmp_path / "backups"),
        timeout=60,
    )
    elapsed = time.perf_counter() - started
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"no JSON (exit {proc.returncode}): {proc.stderr[-2000:]}") from exc
    return proc.returncode, doc, elapsed


def statuses(finished: RunbookFinished) -> dict[str, str]:
    return {r.id: str(r.status) for r in finished.steps}


def step(finished: RunbookFinished, sid: str) -> Any:
    return next(r for r in finished.steps if r.id == sid)


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text


# -- healthy -------------------------------------------------------------------------------


async def test_healthy_account_is_none_and_fetches_the_newest_listed_image(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    seeded = cloudinary_api.seed(3)
    finished, elapsed = await run_images(
        cloudinary_api.cloudinary_url,
        frontend_cloud=cloudinary_api.cloud,
        backup_dir=tmp_path / "backups",
        links={"cloudinary_console": CONSOLE},
    )
    v = finished.verdict
    assert v.layer == "none", (v, statuses(finished))
    assert [r.id for r in finished.steps] == STEP_IDS
    assert set(statuses(finished).values()) == {"pass"}, statuses(finished)
    asset = step(finished, "cloudinary.asset")
    newest = seeded[-1]["public_id"]  # the listing is newest first
    assert asset.evidence["public id"] == newest
    assert asset.evidence["sample from"] == "the newest image the Admin API lists"
    assert asset.evidence["received"] == "2048 bytes, image/jpeg"
    assert "a real asset loads from its delivery URL" in v.summary
    assert any(CONSOLE in n for n in v.next)
    assert "Check the Cloudinary traffic quota" in " ".join(v.next)
    assert cloudinary_api.requests_to("delivery")[-1].status == 200
    assert elapsed < 5, f"took {elapsed:.2f} s"
    text = json.dumps(finished.to_dict())
    assert_no_secret(text, cloudinary_api.secret, cloudinary_api.key)
    print(f"images-broken healthy: none in {elapsed:.2f} s")


async def test_the_sample_comes_from_the_newest_inventory_of_this_cloud(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    first, *_ = cloudinary_api.seed(3)
    backups = tmp_path / "backups"
    write_inventory(backups, cloudinary_api.cloud, [first])
    # Another cloud's inventory, newer, names ids this cloud never had: it is not used.
    other = write_inventory(backups, "other-cloud", [{**first, "public_id": "not/here"}])
    other.rename(backups / "media_other-cloud_20261202T000000Z.jsonl")
    finished, _ = await run_images(
        cloudinary_api.cloudinary_url, frontend_cloud=cloudinary_api.cloud, backup_dir=backups
    )
    assert finished.verdict.layer == "none", finished.verdict
    asset = step(finished, "cloudinary.asset")
    assert asset.evidence["public id"] == first["public_id"]
    assert asset.evidence["sample from"] == (
        "the first line of the newest media inventory, "
        f"media_{cloudinary_api.cloud}_20261201T000000Z.jsonl"
    )
    # No listing was needed: the public id came from the inventory.
    assert cloudinary_api.requests_to("resources") == []


async def test_without_a_console_link_the_next_step_says_how_to_add_it(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    cloudinary_api.set_usage(credits=99.0)
    finished, _ = await run_images(
        cloudinary_api.cloudinary_url,
        frontend_cloud=cloudinary_api.cloud,
        backup_dir=tmp_path,
    )
    assert finished.verdict.layer == "quota"
    assert (
        "set links.cloudinary_console in the launchtui.toml profile" in (finished.verdict.next[-1])
    )


# -- faults ----------------------------------------------------------------------------


async def test_unset_or_malformed_url_is_config(tmp_path: Path) -> None:
    for url in (None, "cloudinary://no-secret@cloud"):
        finished, elapsed = await run_images(url, frontend_cloud="cloud", backup_dir=tmp_path)
        assert finished.verdict.layer == "config", finished.verdict
        assert "CLOUDINARY_URL" in finished.verdict.summary
        s = statuses(finished)
        assert s["cloudinary.config"] == "fail"
        assert {s[i] for i in STEP_IDS[1:]} == {"skip"}
        assert elapsed < 5


@pytest.mark.parametrize("wrong", ["secret", "key"])
async def test_wrong_credentials_are_auth_and_never_shown(
    cloudinary_api: CloudinaryApi, tmp_path: Path, wrong: str
) -> None:
    cloudinary_api.seed(1)
    url = (
        with_credentials(cloudinary_api, secret=CANARY_SECRET)
        if wrong == "secret"
        else with_credentials(cloudinary_api, key=CANARY_KEY)
    )
    finished, elapsed = await run_images(
        url, frontend_cloud=cloudinary_api.cloud, backup_dir=tmp_path
    )
    v = finished.verdict
    assert v.layer == "auth", (v, statuses(finished))
    assert "rejected the API key/secret in CLOUDINARY_URL (401)" in v.summary
    assert statuses(finished)["cloudinary.quota"] == "skip"
    # The real API echoes an unknown key in its message: it must come out masked.
    assert_no_secret(json.dumps(finished.to_dict()), CANARY_SECRET, CANARY_KEY)
    assert elapsed < BUDGET_S
    print(f"images-broken wrong {wrong}: auth in {elapsed:.2f} s")


@pytest.mark.parametrize(("metric", "percent"), [("credits", 96.0), ("bandwidth", 95.0)])
async def test_quota_at_95_percent_is_quota(
    cloudinary_api: CloudinaryApi, tmp_path: Path, metric: str, percent: float
) -> None:
    cloudinary_api.seed(1)
    cloudinary_api.set_usage("Plus", **{metric: percent})
    finished, elapsed = await run_images(
        cloudinary_api.cloudinary_url,
        frontend_cloud=cloudinary_api.cloud,
        backup_dir=tmp_path,
        links={"cloudinary_console": CONSOLE},
    )
    v = finished.verdict
    assert v.layer == "quota", (v, statuses(finished))
    assert f"at {percent:g}% of the Plus plan's limit" in v.summary
    assert "stops serving images" in v.summary
    assert f"Check the Cloudinary traffic quota: {CONSOLE}" in v.next
    assert elapsed < BUDGET_S
    print(f"images-broken {metric} {percent:g}%: quota in {elapsed:.2f} s")


async def test_quota_at_94_percent_warns_but_is_not_broken(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    cloudinary_api.seed(1)
    cloudinary_api.set_usage(credits=94.99)
    finished, _ = await run_images(
        cloudinary_api.cloudinary_url, frontend_cloud=cloudinary_api.cloud, backup_dir=tmp_path
    )
    assert statuses(finished)["cloudinary.quota"] == "warn"
    assert finished.verdict.layer == "none"


async def test_a_deleted_asset_is_asset(cloudinary_api: CloudinaryApi, tmp_path: Path) -> None:
    kept, gone = cloudinary_api.seed(2)
    backups = tmp_path / "backups"
    write_inventory(backups, cloudinary_api.cloud, [gone, kept])
    # Deleted from the account after the inventory was taken.
    cloudinary_api.accounts[cloudinary_api.cloud].resources[("image", "upload")].remove(gone)
    finished, elapsed = await run_images(
        cloudinary_api.cloudinary_url, frontend_cloud=cloudinary_api.cloud, backup_dir=backups
    )
    v = finished.verdict
    assert v.layer == "asset", (v, statuses(finished))
    assert f"The delivery host answered 404 for {gone['public_id']!r}" in v.summary
    assert "the asset is missing from cloud" in v.summary
    assert step(finished, "cloudinary.asset").evidence["HTTP status"] == "404"
    assert cloudinary_api.requests_to("delivery")[-1].status == 404
    assert elapsed < BUDGET_S
    print(f"images-broken deleted asset: asset in {elapsed:.2f} s")


async def test_a_404_at_delivery_is_asset(cloudinary_api: CloudinaryApi, tmp_path: Path) -> None:
    cloudinary_api.seed(1)
    cloudinary_api.fail(404, endpoint="delivery")
    finished, _ = await run_images(
        cloudinary_api.cloudinary_url, frontend_cloud=cloudinary_api.cloud, backup_dir=tmp_path
    )
    assert finished.verdict.layer == "asset", finished.verdict
    assert statuses(finished)["cloudinary.ping"] == "pass"


async def test_a_frontend_built_for_another_cloud_is_config(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    cloudinary_api.seed(1)
    finished, elapsed = await run_images(
        cloudinary_api.cloudinary_url, frontend_cloud="old-cloud", backup_dir=tmp_path
    )
    v = finished.verdict
    assert v.layer == "config", (v, statuses(finished))
    assert "builds image URLs for cloud old-cloud" in v.summary
    assert cloudinary_api.cloud in v.summary
    assert "Set VITE_CLOUDINARY_CLOUD_NAME to launch-cloud" in v.next[0]
    # Everything on the backend's side is healthy: only the frontend's setting is wrong.
    assert statuses(finished)["cloudinary.asset"] == "pass"
    print(f"images-broken other cloud: config in {elapsed:.2f} s")


async def test_without_the_frontends_variables_the_cloud_name_is_skipped(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    cloudinary_api.seed(1)
    finished, _ = await run_images(cloudinary_api.cloudinary_url, backup_dir=tmp_path)
    name = step(finished, "cloudinary.cloud_name")
    assert str(name.status) == "skip"
    assert "--frontend-env-file" in name.summary
    assert finished.verdict.layer == "none"


async def test_black_hole_is_named_within_30_seconds(
    cloudinary_silent: SilentServer, tmp_path: Path
) -> None:
    finished, elapsed = await run_images(
        cloudinary_silent.cloudinary_url, frontend_cloud="silent-cloud", backup_dir=tmp_path
    )
    v = finished.verdict
    assert cloudinary_silent.accepted >= 1
    assert elapsed < BLACK_HOLE_S, f"took {elapsed:.1f} s"
    # Connected, then no answer: the server does not serve requests.
    assert v.layer == "query", (v, statuses(finished))
    assert "no answer within 5 s" in v.summary
    print(f"images-broken black hole: query in {elapsed:.2f} s")


async def test_refused_port_is_tcp(tmp_path: Path) -> None:
    from tests.servers.cloudinary_api import refused_port

    host = f"127.0.0.1:{refused_port()}"
    url = f"cloudinary://{CANARY_KEY}:{CANARY_SECRET}@c?upload_prefix=http://{host}&cname={host}"
    finished, elapsed = await run_images(url, frontend_cloud="c", backup_dir=tmp_path)
    assert finished.verdict.layer == "tcp", finished.verdict
    assert "connection refused" in finished.verdict.summary
    assert elapsed < 5


# -- the real CLI ------------------------------------------------------------------------


def test_cli_healthy_after_a_real_media_backup_is_none(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    cloudinary_api.seed(4)
    env_file = tmp_path / ".env.production"
    env_file.write_text(f"CLOUDINARY_URL={cloudinary_api.cloudinary_url}\n")
    env_file.chmod(0o600)
    backup = run_launchtui(
        "backup",
        "media",
        "--format",
        "json",
        "--env-file",
        str(env_file),
        "--backup-dir",
        str(tmp_path / "backups"),
    )
    assert backup.returncode == 0, backup.stdout + backup.stderr
    code, doc, elapsed = cli_images(cloudinary_api.cloudinary_url, cloudinary_api.cloud, tmp_path)
    assert doc["verdict"]["layer"] == "none", doc["verdict"]
    assert code == 0
    assert [s["id"] for s in doc["steps"]] == STEP_IDS
    asset = next(s for s in doc["steps"] if s["id"] == "cloudinary.asset")
    assert asset["evidence"]["sample from"].startswith(
        "the first line of the newest media inventory, media_launch-cloud_"
    )
    assert_no_secret(json.dumps(doc), cloudinary_api.secret, cloudinary_api.key)
    print(f"CLI images-broken healthy: none, exit 0, in {elapsed:.2f} s")


@pytest.mark.parametrize("fault", ["auth", "quota", "asset", "config"])
def test_cli_names_each_broken_layer_and_exits_1(
    cloudinary_api: CloudinaryApi, tmp_path: Path, fault: str
) -> None:
    cloudinary_api.seed(1)
    url, frontend = cloudinary_api.cloudinary_url, cloudinary_api.cloud
    if fault == "auth":
        url = with_credentials(cloudinary_api, secret=CANARY_SECRET)
    elif fault == "quota":
        cloudinary_api.set_usage(storage=97.5)
    elif fault == "asset":
        cloudinary_api.fail(404, endpoint="delivery")
    else:
        frontend = "old-cloud"
    code, doc, elapsed = cli_images(url, frontend, tmp_path)
    assert doc["verdict"]["layer"] == fault, doc["verdict"]
    assert code == 1
    assert elapsed < BUDGET_S
    assert_no_secret(json.dumps(doc), CANARY_SECRET, cloudinary_api.secret, cloudinary_api.key)
    print(f"CLI images-broken {fault}: exit 1 in {elapsed:.2f} s")


def test_cli_black_hole_within_30_seconds(cloudinary_silent: SilentServer, tmp_path: Path) -> None:
    code, doc, elapsed = cli_images(cloudinary_silent.cloudinary_url, "silent-cloud", tmp_path)
    assert doc["verdict"]["layer"] == "query", doc["verdict"]
    assert code == 1
    assert elapsed < BLACK_HOLE_S
    print(f"CLI images-broken black hole: query, exit 1, in {elapsed:.2f} s")
