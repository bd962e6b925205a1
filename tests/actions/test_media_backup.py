"""`launchtui backup media` (2.3): the real Cloudinary SDK against the loopback Admin API.

No mocks: the server pages with next_cursor, counts the hour's allowance, answers 401, 420
and 500 on demand, and records every request, which is what these tests assert on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from launchtui.actions import media_listing
from launchtui.actions.media_inventory import LISTINGS, Inventory, ListingState, StateError
from launchtui.core.actions import ActionError, ActionEvent, Output, Progress
from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Status
from launchtui.probes.backup_files import (
    manifest_path,
    media_state_path,
    read_manifest,
    utc_iso,
    write_manifest,
)
from launchtui.probes.backup_verify import verify_media_inventory
from tests.actions.media_support import (
    FIELDS,
    NINE,
    SEED_ALL_PAGES,
    ctx_for,
    finished,
    modes,
    options,
    page_answers,
    read_lines,
    run_backup,
    seed_all,
    seeded,
)
from tests.cli import check_json, run_launchtui
from tests.probe_cloudinary.support import CANARY_KEY, CANARY_SECRET
from tests.servers.cloudinary_api import CloudinaryApi, refused_port


def _after_first_page(action: Callable[[], object]) -> Callable[[ActionEvent], None]:
    """An on_event hook that runs `action` once, when the first page has been written."""
    fired = []

    def hook(event: ActionEvent) -> None:
        if not fired and isinstance(event, Progress) and event.unit == "resources" and event.done:
            fired.append(True)
            action()

    return hook


def _assert_every_page_answered_once(
    api: CloudinaryApi, refused: int = 420, count: int = SEED_ALL_PAGES
) -> None:
    """Each page got exactly one 200; any other answer it got was a refusal, asked again."""
    pages = page_answers(api)
    assert len(pages) == count, sorted(pages)
    for page, statuses in pages.items():
        assert statuses.count(200) == 1, (page, statuses)
        assert set(statuses) <= {200, refused}, (page, statuses)
        assert statuses[-1] == 200, (page, statuses)


def _assert_inventory_is_exact(api: CloudinaryApi, path: Path) -> None:
    lines = read_lines(path)
    keys = [(r["resource_type"], r["type"], r["public_id"]) for r in lines]
    assert len(keys) == len(set(keys)), "a resource is listed twice"
    truth = seeded(api)
    assert set(keys) == set(truth)
    for line in lines:
        assert tuple(line) == FIELDS
        src = truth[(line["resource_type"], line["type"], line["public_id"])]
        assert line == {f: src.get(f) for f in FIELDS}


# -- the whole account ------------------------------------------------------------------


async def test_every_resource_of_all_nine_listings_is_listed_once_with_its_fields(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    total = seed_all(cloudinary_api)
    ctx = ctx_for(cloudinary_api, tmp_path / "backups")
    plan, events = await run_backup(ctx, options())
    assert plan.ask is False
    assert all(f"  {r}: upload, private, authenticated" in plan.steps for r in ("image", "raw"))
    end = finished(events)
    assert end.ok, end.summary
    path = Path(end.fields["path"])
    assert end.fields["resources"] == total == 1710
    _assert_inventory_is_exact(cloudinary_api, path)
    assert end.fields["by_type"] == {
        **{k: 20 for k in NINE},
        "image/upload": 1050,
        "video/upload": 520,
    }
    assert end.fields["bytes_by_type"]["image/upload"] == 1050 * 1500
    assert end.fields["bytes_by_type"]["video/upload"] == 520 * 9000
    assert end.fields["bytes_by_type"]["raw/authenticated"] == 20 * 700
    manifest, problem = read_manifest(path)
    assert problem is None and manifest is not None
    assert manifest["by_type"] == end.fields["by_type"]
    assert manifest["bytes_by_type"] == end.fields["bytes_by_type"]
    assert manifest["complete"] is True and manifest["next_cursor"] is None
    assert manifest["pages"] == SEED_ALL_PAGES
    assert verify_media_inventory(path).good
    # Every page once: nothing lost past 500, nothing asked twice.
    _assert_every_page_answered_once(cloudinary_api)
    assert {r.query["max_results"] for r in cloudinary_api.requests_to("resources")} == {"500"}
    files, dirs = modes(path.parent)
    assert files == {0o600} and dirs == {0o700}
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, manifest_path(path).name]
    assert [(c.id, c.status) for c in end.checks] == [("backup.media", Status.PASS)]
    assert "1,710 resources" in end.summary


# -- rate limits --------------------------------------------------------------------------


async def test_a_420_mid_way_is_waited_out_with_a_countdown_and_the_run_completes(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    seed_all(cloudinary_api)
    api = cloudinary_api

    def refuse_one() -> None:
        reset = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=2)
        api.rate_limit(remaining=400, limit=500, reset_at=reset)
        api.fail(420, endpoint="resources", times=1)

    ctx = ctx_for(api, tmp_path)
    _, events = await run_backup(ctx, options(max_wait=30.0), _after_first_page(refuse_one))
    end = finished(events)
    assert end.ok, end.summary
    assert [r.status for r in api.requests_to("resources")].count(420) == 1
    countdown = [e for e in events if isinstance(e, Progress) and e.unit == "s"]
    assert len(countdown) >= 2, "no countdown while waiting for the reset"
    assert countdown[0].total is not None and countdown[0].total >= 1
    assert countdown[-1].done == countdown[-1].total  # it ran to the reset
    lines = [e.line for e in events if isinstance(e, Output)]
    assert any("rate limit is spent" in line for line in lines)
    assert any(line.startswith("Waiting ") and "to reset at" in line for line in lines)
    _assert_inventory_is_exact(api, Path(end.fields["path"]))
    _assert_every_page_answered_once(api)


async def test_a_rate_limit_beyond_max_wait_stops_resumably_and_resume_finishes_the_same_file(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    seed_all(cloudinary_api)
    api = cloudinary_api
    later = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(hours=1)
    ctx = ctx_for(api, tmp_path)
    hook = _after_first_page(lambda: api.rate_limit(remaining=0, limit=500, reset_at=later))
    _, events = await run_backup(ctx, options(max_wait=5.0), hook)
    end = finished(events)
    assert not end.ok
    assert "rate limit is spent until" in (end.error or "")
    assert "longer than --max-wait (5 s)" in (end.error or "")
    assert "`launchtui backup media --resume` continues it" in (end.error or "")
    assert end.fields["resumable"] is True
    assert end.fields["reset_at"] == later.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Nothing under a final name; the listing so far and its state are kept.
    assert not list(tmp_path.glob("media_*"))
    state_path = Path(end.fields["state"])
    state = json.loads(state_path.read_text())
    assert state["complete"] is False
    assert 0 < state["resources"] < 1710
    assert any(v["next_cursor"] for v in state["listings"].values())
    assert [r.status for r in api.requests_to("resources")].count(420) >= 1

    api.rate_limit(remaining=500, limit=500)  # the hour has turned
    ctx = ctx_for(api, tmp_path)
    plan, events = await run_backup(ctx, options(resume=True))
    assert plan.summary.startswith("Continue the interrupted inventory")
    end = finished(events)
    assert end.ok, end.summary
    path = Path(end.fields["path"])
    assert path.name == state["file"]  # the same inventory, finished
    assert end.fields["resumed"] == 1
    _assert_inventory_is_exact(api, path)
    _assert_every_page_answered_once(api)
    assert not state_path.exists()
    assert verify_media_inventory(path).good


async def test_an_allowance_spent_until_past_max_wait_is_refused_before_anything_is_written(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    cloudinary_api.seed(5)
    later = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=30)
    cloudinary_api.rate_limit(remaining=0, limit=500, reset_at=later)
    with pytest.raises(ActionError) as caught:
        await run_backup(ctx_for(cloudinary_api, tmp_path), options(max_wait=60.0))
    assert str(caught.value) == (
        f"Cloudinary's Admin API rate limit is spent until {later:%H:%M:%S} UTC, 30 min from "
        "now, longer than --max-wait (60 s), so nothing was listed. Run `launchtui backup "
        f"media` after {later:%H:%M:%S} UTC, or pass a longer --max-wait."
    )
    assert list(tmp_path.iterdir()) == []
    assert cloudinary_api.requests_to("resources") == []


async def test_an_unknown_reset_time_waits_a_minute_so_a_short_max_wait_stops(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    cloudinary_api.seed(5)
    # A 420 whose reset header cannot be read: a proxy's, say.
    cloudinary_api.fail(420, endpoint="resources", headers={"X-FeatureRateLimit-Reset": "soon"})
    _, events = await run_backup(ctx_for(cloudinary_api, tmp_path), options(max_wait=10.0))
    end = finished(events)
    assert not end.ok
    assert "rate limit is spent and it gave no reset time" in (end.error or "")
    assert "the 60 s launchtui would wait is longer than --max-wait (10 s)" in (end.error or "")


async def test_cancelling_during_the_countdown_keeps_a_state_that_resume_finishes(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    from launchtui.actions import execute_action, plan_action
    from launchtui.actions.media_backup import ACTION

    seed_all(cloudinary_api)
    api = cloudinary_api
    later = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=10)
    ctx, opts = ctx_for(api, tmp_path), options(max_wait=3600.0)
    hook = _after_first_page(lambda: api.rate_limit(remaining=0, limit=500, reset_at=later))
    plan = await plan_action(ACTION, ctx, opts)
    events = execute_action(ACTION, ctx, plan, opts)
    seen: list[ActionEvent] = []
    async for event in events:
        seen.append(event)
        hook(event)
        if isinstance(event, Progress) and event.unit == "s":
            break  # the user presses cancel while it counts down
    await events.aclose()  # type: ignore[attr-defined]
    countdown = seen[-1]
    assert isinstance(countdown, Progress) and countdown.total and countdown.total > 500
    assert "until the reset at" in countdown.message
    assert not list(tmp_path.glob("media_*"))
    state = json.loads(next(tmp_path.glob(".media_*.state.json")).read_text())
    assert 0 < state["resources"] < 1710

    api.rate_limit(remaining=500, limit=500)
    _, done = await run_backup(ctx_for(api, tmp_path), options(resume=True))
    end = finished(done)
    assert end.ok, end.summary
    _assert_inventory_is_exact(api, Path(end.fields["path"]))
    _assert_every_page_answered_once(api)


async def test_backup_media_check_points_a_stale_interrupted_listing_at_resume(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    from tests.runner import run_check

    seed_all(cloudinary_api)
    api = cloudinary_api
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    hook = _after_first_page(lambda: api.rate_limit(remaining=0, limit=500, reset_at=later))
    _, events = await run_backup(ctx_for(api, tmp_path), options(max_wait=1.0), hook)
    assert not finished(events).ok
    partial = next(tmp_path.glob(".media_*.jsonl.partial"))
    two_hours_ago = partial.stat().st_mtime - 7200
    os.utime(partial, (two_hours_ago, two_hours_ago))
    r = await run_check("backup.media", {}, Settings(backup_dir=tmp_path))
    assert r.status is Status.WARN, r
    assert "the only trace is an interrupted one" in r.summary
    assert r.command == "launchtui backup media --resume"
    assert "continues the interrupted listing from its saved cursors" in r.remediation


async def test_keep_prunes_the_older_inventory_after_a_complete_one(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    cloudinary_api.seed(30)
    _, first = await run_backup(ctx_for(cloudinary_api, tmp_path), options())
    made = Path(finished(first).fields["path"])
    # Taken yesterday, as far as names go (both runs would share this second's stamp).
    old = made.with_name(f"media_{cloudinary_api.cloud}_20261201T000000Z.jsonl")
    manifest, _ = read_manifest(made)
    assert manifest is not None
    made.rename(old)
    manifest_path(made).unlink()
    write_manifest(manifest_path(old), {**manifest, "file": old.name})
    cloudinary_api.seed(5, "video", "upload")
    plan, second = await run_backup(ctx_for(cloudinary_api, tmp_path), options(keep=1))
    assert any("Keep the newest 1 complete media inventories" in s for s in plan.steps)
    end = finished(second)
    assert end.ok, end.summary
    assert end.fields["pruned"] == [old.name]
    assert not old.exists() and not manifest_path(old).exists()
    assert Path(end.fields["path"]).exists() and end.fields["resources"] == 35


# -- server errors, auth, configuration ------------------------------------------------------


async def test_a_passing_500_is_retried_with_backoff_and_the_run_completes(
    cloudinary_api: CloudinaryApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(media_listing, "RETRY_DELAYS", (0.05, 0.1, 0.2))
    seed_all(cloudinary_api)
    cloudinary_api.fail(500, endpoint="resources", times=2)
    _, events = await run_backup(ctx_for(cloudinary_api, tmp_path), options())
    end = finished(events)
    assert end.ok, end.summary
    retries = [e.line for e in events if isinstance(e, Output) and "asking again" in e.line]
    assert len(retries) == 2
    assert "answered HTTP 500" in retries[0] and "retry 1 of 3" in retries[0]
    _assert_inventory_is_exact(cloudinary_api, Path(end.fields["path"]))
    _assert_every_page_answered_once(cloudinary_api, refused=500)


async def test_a_lasting_500_stops_after_bounded_retries_and_resume_completes(
    cloudinary_api: CloudinaryApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(media_listing, "RETRY_DELAYS", (0.05, 0.1, 0.2))
    seed_all(cloudinary_api)
    api = cloudinary_api
    hook = _after_first_page(lambda: api.fail(500, endpoint="resources"))
    _, events = await run_backup(ctx_for(api, tmp_path), options(), hook)
    end = finished(events)
    assert not end.ok
    assert "answered HTTP 500 to the" in (end.error or "")
    assert "4 times in a row" in (end.error or "")
    assert "https://status.cloudinary.com" in (end.error or "")
    assert "--resume` continues it" in (end.error or "")
    # Bounded: each listing in flight got at most 1 + 3 retries.
    failed = [r for r in api.requests_to("resources") if r.status == 500]
    assert 4 <= len(failed) <= media_listing.PARALLEL_LISTINGS * 4
    assert not list(tmp_path.glob("media_*"))

    api.clear_faults()
    _, events = await run_backup(ctx_for(api, tmp_path), options(resume=True))
    end = finished(events)
    assert end.ok, end.summary
    _assert_inventory_is_exact(api, Path(end.fields["path"]))
    _assert_every_page_answered_once(api, refused=500)


async def test_a_rejected_key_is_a_clear_message_and_writes_nothing(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    cloudinary_api.seed(3)
    url = cloudinary_api.cloudinary_url.replace(cloudinary_api.secret, CANARY_SECRET)
    ctx = ctx_for(cloudinary_api, tmp_path / "b", url)
    with pytest.raises(ActionError) as caught:
        await run_backup(ctx, options())
    text = str(caught.value)
    assert "Cloudinary rejected the API key/secret in CLOUDINARY_URL (401)" in text
    assert "nothing can be listed" in text
    assert CANARY_SECRET not in text
    assert not (tmp_path / "b").exists()
    assert cloudinary_api.requests_to("resources") == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (None, "CLOUDINARY_URL is not set, so there is no Cloudinary account to back up"),
        ("cloudinary://justakey@cloud", "CLOUDINARY_URL cannot be used: CLOUDINARY_URL has no"),
        ("https://k:s@cloud", "CLOUDINARY_URL cannot be used: CLOUDINARY_URL must start with"),
    ],
)
async def test_a_missing_or_malformed_cloudinary_url_is_a_clear_message(
    tmp_path: Path, url: str | None, words: str
) -> None:
    ctx = Context.build(Settings(backup_dir=tmp_path), environ={"CLOUDINARY_URL": url or ""})
    with pytest.raises(ActionError, match=words):
        await run_backup(ctx, options())
    assert list(tmp_path.iterdir()) == []


async def test_an_unreachable_api_is_a_clear_message(tmp_path: Path) -> None:
    port = refused_port()
    url = f"cloudinary://{CANARY_KEY}:{CANARY_SECRET}@c?upload_prefix=http://127.0.0.1:{port}"
    ctx = Context.build(Settings(backup_dir=tmp_path), environ={"CLOUDINARY_URL": url})
    with pytest.raises(ActionError) as caught:
        await run_backup(ctx, options())
    assert f"Cannot reach Cloudinary's Admin API at 127.0.0.1:{port}: connection refused" in str(
        caught.value
    )
    assert CANARY_SECRET not in str(caught.value)


# -- the inventory file itself ---------------------------------------------------------------


def _page(n: int, start: int = 0) -> list[dict[str, object]]:
    return [
        {"public_id": f"p{i}", "resource_type": "image", "type": "upload", "bytes": 10}
        for i in range(start, start + n)
    ]


def test_a_page_committed_twice_adds_nothing_the_second_time(tmp_path: Path) -> None:
    inv = Inventory.create(tmp_path / "media_c_20260101T000000Z.jsonl", "c", utc_iso())
    try:
        listing = inv.listings["image/upload"]
        assert inv.commit(listing, _page(3), "cursor-1") == 3
        # The same page again (a retried request), then the next page overlapping by one.
        assert inv.commit(ListingState("image/upload"), _page(3), "cursor-1") == 0
        assert inv.commit(listing, _page(3, start=2), None) == 2
        assert inv.duplicates == 4
        done = inv.finish()
    finally:
        inv.close()
    assert [r["public_id"] for r in read_lines(done.path)] == ["p0", "p1", "p2", "p3", "p4"]
    assert done.by_type == {"image/upload": 5} and done.bytes_by_type == {"image/upload": 50}


def test_lines_written_after_the_last_state_save_are_cut_off_on_resume(tmp_path: Path) -> None:
    final = tmp_path / "media_c_20260101T000000Z.jsonl"
    inv = Inventory.create(final, "c", utc_iso())
    inv.commit(inv.listings["image/upload"], _page(2), "next")
    committed = inv.committed
    inv.close()
    # A run killed between writing a page and saving the state leaves lines past `committed`.
    with open(inv.partial, "ab") as f:
        f.write(b'{"public_id": "p2", "resource_type": "image", "type": "upload"}\n{"pub')
    again = Inventory.reopen(media_state_path(final))
    try:
        assert os.path.getsize(again.partial) == committed
        assert again.resources == 2 and again.listings["image/upload"].next_cursor == "next"
        assert again.commit(again.listings["image/upload"], _page(3), None) == 1
    finally:
        again.close()
    assert [r["public_id"] for r in read_lines(again.partial)] == ["p0", "p1", "p2"]


def test_a_state_claiming_more_than_the_file_holds_is_refused(tmp_path: Path) -> None:
    final = tmp_path / "media_c_20260101T000000Z.jsonl"
    inv = Inventory.create(final, "c", utc_iso())
    inv.commit(inv.listings["image/upload"], _page(2), "next")
    inv.close()
    os.truncate(inv.partial, 10)
    with pytest.raises(StateError, match="shorter"):
        Inventory.reopen(media_state_path(final))


def test_two_writers_of_one_inventory_are_refused(tmp_path: Path) -> None:
    final = tmp_path / "media_c_20260101T000000Z.jsonl"
    first = Inventory.create(final, "c", utc_iso())
    try:
        with pytest.raises(ActionError, match="Another launchtui is writing"):
            Inventory.reopen(media_state_path(final))
    finally:
        first.close()
    assert set(first.listings) == set(LISTINGS)


# -- through the real CLI ----------------------------------------------------------------------


def _env_file(tmp_path: Path, api: CloudinaryApi) -> Path:
    host = f"127.0.0.1:{api.port}"
    url = f"cloudinary://{CANARY_KEY}:{CANARY_SECRET}@canary-cloud?upload_prefix=http://{host}"
    env = tmp_path / "backend.env"
    env.write_text(f"CLOUDINARY_URL={url}\n", encoding="utf-8")
    return env


def _everything_written(*roots: Path) -> str:
    out = []
    for root in roots:
        for p in root.rglob("*"):
            if p.is_file():
                out.append(p.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(out)


def test_cli_json_ends_with_the_contract_and_no_secret_is_written_anywhere(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    api = cloudinary_api
    api.add_account("canary-cloud", CANARY_KEY, CANARY_SECRET)
    api.seed(620, "image", "upload", cloud="canary-cloud")
    api.seed(15, "raw", "authenticated", cloud="canary-cloud")
    env, backups = _env_file(tmp_path, api), tmp_path / "backups"
    args = ("--env-file", str(env), "--backup-dir", str(backups))
    proc = run_launchtui("backup", "media", "--format", "json", *args)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert list(doc)[:5] == ["ok", "path", "bytes", "sha256", "resources"]
    assert list(doc)[-1] == "duration_ms"
    assert doc["ok"] is True and doc["resources"] == 635
    path = Path(doc["path"])
    assert path.stat().st_size == doc["bytes"]
    assert read_manifest(path)[0]["sha256"] == doc["sha256"]  # type: ignore[index]
    assert doc["checks"] == [
        {"id": "backup.media", "status": "pass", "summary": doc["checks"][0]["summary"]}
    ]
    files, dirs = modes(backups)
    assert files == {0o600} and dirs == {0o700}
    # backup.media passes afterwards, on its own, showing the bytes per type.
    proc2, report = check_json("--only", "backup.media", *args)
    result = report["results"][0]
    assert result["status"] == "pass", result
    assert (
        result["evidence"]["by type"] == "image/upload 620 (1.3 MB), raw/authenticated 15 (30.7 KB)"
    )
    log = Path(os.environ["XDG_STATE_HOME"]) / "launchtui" / "log"
    for text in (proc.stdout, proc.stderr, proc2.stdout, _everything_written(backups, log)):
        assert CANARY_SECRET not in text and CANARY_KEY not in text


def test_cli_stops_at_a_spent_allowance_with_exit_1_and_resume_finishes(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    api = cloudinary_api
    api.add_account("canary-cloud", CANARY_KEY, CANARY_SECRET)
    api.seed(1200, "image", "upload", cloud="canary-cloud")
    api.seed(30, "video", "private", cloud="canary-cloud")
    later = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(hours=1)
    # The plan's ping and four pages, then the hour's allowance is gone.
    api.rate_limit(remaining=5, limit=500, reset_at=later, cloud="canary-cloud")
    env, backups = _env_file(tmp_path, api), tmp_path / "backups"
    args = ("--env-file", str(env), "--backup-dir", str(backups))
    proc = run_launchtui("backup", "media", "--max-wait", "1s", *args)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "`launchtui backup media --resume` continues it" in proc.stderr
    assert f"rate limit is spent until {later:%H:%M:%S} UTC" in proc.stderr
    assert not list(backups.glob("media_*"))

    api.rate_limit(remaining=500, limit=500, cloud="canary-cloud")
    proc = run_launchtui("backup", "media", "--resume", "--format", "json", *args)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["ok"] is True and doc["resources"] == 1230
    lines = read_lines(Path(doc["path"]))
    assert len({(r["type"], r["public_id"]) for r in lines}) == len(lines) == 1230
    # 3 pages of image/upload, one of video/private, one (empty) for each of the other seven;
    # a page refused when the allowance ran out was asked again, and none twice.
    _assert_every_page_answered_once(api, count=11)
    for text in (proc.stdout, proc.stderr, _everything_written(backups)):
        assert CANARY_SECRET not in text
