"""pool.recycle's live half: the wait_timeout db.connect reads from the real server."""

from __future__ import annotations

from pathlib import Path

from launchtui.core.model import Status
from tests.probe_db.support import run_checks
from tests.servers.mariadb import MariaDB

BACKEND_GOOD = Path(__file__).parent.parent / "fixtures" / "backend_good"


async def test_pool_recycle_fails_when_the_live_wait_timeout_is_below_it(mariadb: MariaDB) -> None:
    mariadb.set_global("wait_timeout", 120)
    results = await run_checks(
        {"DATABASE_URL": mariadb.url}, ["pool.recycle"], backend_dir=BACKEND_GOOD
    )
    recycle = results["pool.recycle"]
    assert recycle.status is Status.FAIL, recycle.summary
    assert "wait_timeout (120 s)" in recycle.summary
    assert recycle.evidence["live wait_timeout"] == "120 s (db.connect)"


async def test_pool_recycle_passes_below_the_default_wait_timeout(mariadb: MariaDB) -> None:
    results = await run_checks(
        {"DATABASE_URL": mariadb.url}, ["pool.recycle"], backend_dir=BACKEND_GOOD
    )
    recycle = results["pool.recycle"]
    assert recycle.status is Status.PASS, recycle.summary
    assert "28800 s wait_timeout" in recycle.summary
