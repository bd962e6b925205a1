"""Helpers for the `backup media` tests: the real SDK and httpx against the loopback Cloudinary."""

from __future__ import annotations

import json
import stat
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from launchtui.actions import execute_action, plan_action
from launchtui.actions.media_backup import ACTION
from launchtui.core.actions import ActionEvent, Finished, Plan
from launchtui.core.config import Settings
from launchtui.core.context import Context
from tests.servers.cloudinary_api import CloudinaryApi

FIELDS = ("public_id", "resource_type", "type", "format", "bytes", "secure_url", "created_at",
          "version")  # fmt: skip
NINE = tuple(f"{r}/{t}" for r in ("image", "video", "raw")
             for t in ("upload", "private", "authenticated"))  # fmt: skip


def options(**kw: Any) -> dict[str, Any]:
    """The options `launchtui backup media` hands its action, with no flag given."""
    base: dict[str, Any] = {
        "offsite": None,
        "offsite_endpoint": None,
        "keep": None,
        "download": False,
        "resume": False,
        "max_wait": 30.0,
    }
    return {**base, **kw}


def seed_all(api: CloudinaryApi) -> int:
    """1,710 resources over all nine listings: image/upload in 3 pages, video/upload in 2."""
    api.seed(1050, "image", "upload", size=1500)
    api.seed(520, "video", "upload", size=9000)
    for key in NINE:
        if key not in ("image/upload", "video/upload"):
            rtype, dtype = key.split("/")
            api.seed(20, rtype, dtype, size=700)
    return 1050 + 520 + 7 * 20


# Pages the server must answer for seed_all: 3 + 2 + one for each of the other seven.
SEED_ALL_PAGES = 12


def ctx_for(api: CloudinaryApi, backup_dir: Path, url: str | None = None) -> Context:
    return Context.build(
        Settings(backup_dir=backup_dir), environ={"CLOUDINARY_URL": url or api.cloudinary_url}
    )


async def run_backup(
    ctx: Context, opts: dict[str, Any], on_event: Callable[[ActionEvent], None] | None = None
) -> tuple[Plan, list[ActionEvent]]:
    """Plan and execute `backup-media`; every event, `on_event` seeing each as it comes."""
    plan = await plan_action(ACTION, ctx, opts)
    events: list[ActionEvent] = []
    async for event in execute_action(ACTION, ctx, plan, opts):
        events.append(event)
        if on_event is not None:
            on_event(event)
    assert isinstance(events[-1], Finished)
    return plan, events


def finished(events: list[ActionEvent]) -> Finished:
    last = events[-1]
    assert isinstance(last, Finished)
    return last


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def seeded(api: CloudinaryApi) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every resource the server holds, by (resource_type, type, public_id)."""
    out = {}
    for items in api.accounts[api.cloud].resources.values():
        for r in items:
            out[(r["resource_type"], r["type"], r["public_id"])] = r
    return out


def page_answers(api: CloudinaryApi) -> dict[tuple[str, str | None], list[int]]:
    """The statuses the server answered for each page (listing path, cursor asked with)."""
    pages: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for r in api.requests_to("resources"):
        path = urllib.parse.urlsplit(r.path).path
        pages[(path, r.query.get("next_cursor"))].append(r.status)
    return dict(pages)


def modes(root: Path) -> tuple[set[int], set[int]]:
    """The permission bits of every file and every folder under root (root included)."""
    files, dirs = set(), {stat.S_IMODE(root.stat().st_mode)}
    for p in root.rglob("*"):
        (dirs if p.is_dir() else files).add(stat.S_IMODE(p.stat().st_mode))
    return files, dirs
