"""backup.media through the real runner, over real inventory files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from launchtui.core.model import Result, Status
from launchtui.probes.backup_files import media_name
from tests.checks_backups.builders import (
    NOW,
    make_db_backup,
    make_media_inventory,
    make_partial,
    resource,
    run_check,
)


async def _check(directory: Path) -> Result:
    return await run_check("backup.media", backup_dir=directory)


async def test_a_fresh_complete_inventory_passes_with_its_counts(tmp_path: Path) -> None:
    path = make_media_inventory(tmp_path)
    r = await _check(tmp_path)
    assert r.status is Status.PASS, r
    assert r.summary == (
        f"The newest media inventory {path.name} is complete: 44 resources, 5 h old."
    )
    assert r.evidence["by type"] == "image/upload 40, raw/private 1, video/upload 3"
    assert "max_results=500" in r.evidence["checklist snippet"]


async def test_an_inventory_older_than_a_week_warns(tmp_path: Path) -> None:
    make_media_inventory(tmp_path, age=dt.timedelta(days=9))
    r = await _check(tmp_path)
    assert r.status is Status.WARN, r
    assert r.summary.startswith("The newest media inventory is 9 days old")
    assert r.command == "launchtui backup media"


async def test_a_listing_stopped_by_a_rate_limit_warns_and_can_resume(tmp_path: Path) -> None:
    make_media_inventory(tmp_path, complete=False, next_cursor="8edbc61040178db60b0973ca94")
    r = await _check(tmp_path)
    assert r.status is Status.WARN, r
    assert "stopped early after 44 resources" in r.summary
    assert r.command == "launchtui backup media"


async def test_an_inventory_with_a_bad_line_fails_naming_the_line(tmp_path: Path) -> None:
    items = [resource(i) for i in range(3)]
    content = (json.dumps(items[0]) + "\n{oops\n" + json.dumps(items[2]) + "\n").encode()
    path = make_media_inventory(tmp_path, resources=items, content=content)
    r = await _check(tmp_path)
    assert r.status is Status.FAIL, r
    assert r.summary.startswith(f"The newest media inventory {path.name} is broken: line 2 is")


async def test_an_inventory_missing_lines_fails_and_names_an_older_good_one(tmp_path: Path) -> None:
    good = make_media_inventory(tmp_path, age=dt.timedelta(days=3))
    items = [resource(i) for i in range(10)]
    content = "".join(json.dumps(r) + "\n" for r in items[:7]).encode()
    make_media_inventory(tmp_path, age=dt.timedelta(hours=1), resources=items, content=content)
    r = await _check(tmp_path)
    assert r.status is Status.FAIL, r
    assert "it lists 7 resources but its manifest says 10" in r.evidence["problems"]
    assert r.summary.endswith(f"the newest good one is {good.name} from 3 days ago.")


async def test_no_inventory_skips_and_points_out_the_checklists_snippet(tmp_path: Path) -> None:
    make_db_backup(tmp_path)  # a database dump is not a media inventory
    r = await _check(tmp_path)
    assert r.status is Status.SKIP, r
    assert r.summary == f"No media inventory yet: the backup directory {tmp_path} holds none."
    assert r.command == "launchtui backup media"
    snippet = r.evidence["checklist snippet"]
    assert "first 500" in snippet and "video or raw" in snippet and "private" in snippet


async def test_only_a_stale_media_partial_warns(tmp_path: Path) -> None:
    make_partial(tmp_path, media_name("demo", NOW), age=dt.timedelta(hours=2))
    r = await _check(tmp_path)
    assert r.status is Status.WARN, r
    assert "No finished media inventory" in r.summary and "interrupted" in r.summary
