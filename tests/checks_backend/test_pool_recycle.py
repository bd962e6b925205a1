"""pool.recycle: pool_recycle is set, <= 300 s, below the live wait_timeout; pre-ping on."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Result, Status
from launchtui.core.registry import default_registry
from launchtui.core.runner import run_one

from .helpers import BAD, GOOD, backend_with_config, run_check

LINE = 'SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 280, "pool_pre_ping": True}'


def prod(tmp_path: Path, body: str, requirements: str | None = None) -> Path:
    files = {"requirements.txt": requirements} if requirements is not None else {}
    return backend_with_config(
        tmp_path,
        "import os\n\n\nclass Config:\n    DEBUG = False\n\n\nclass ProductionConfig(Config):\n"
        + "".join(f"    {line}\n" for line in body.splitlines()),
        **files,
    )


async def test_280_seconds_with_pre_ping_passes_and_says_live_was_not_compared() -> None:
    result = await run_check("pool.recycle", GOOD)
    assert result.status is Status.PASS
    assert "ProductionConfig recycles pooled connections after 280 s" in result.summary
    assert "wait_timeout was not compared (db.connect" in result.summary
    assert result.evidence["pool_recycle"] == "280 s"
    assert result.evidence["pool_pre_ping"] == "True"
    assert "config.py: 280 s" in result.evidence["checklist says"]


async def test_7200_fails_because_tidb_closes_connections_first() -> None:
    result = await run_check("pool.recycle", BAD)
    assert result.status is Status.FAIL
    assert "7200 s" in result.summary and "30 minutes" in result.summary
    assert "gone away" in result.summary
    assert "pool_pre_ping is not True" in result.evidence["also (1)"]
    assert LINE in result.remediation
    assert "config.py: 7200 s" in result.evidence["checklist says"]


async def test_unset_pool_recycle_fails_naming_flask_sqlalchemys_7200_default(
    tmp_path: Path,
) -> None:
    d = prod(tmp_path, 'SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}')
    result = await run_check("pool.recycle", d)
    assert result.status is Status.FAIL
    assert "does not set pool_recycle" in result.summary and "7200 s" in result.summary
    assert "config.py: not set" in result.evidence["checklist says"]


async def test_no_engine_options_at_all_fails(tmp_path: Path) -> None:
    result = await run_check("pool.recycle", prod(tmp_path, "TESTING = False"))
    assert result.status is Status.FAIL and "does not set pool_recycle" in result.summary


async def test_600_seconds_warns_above_tidbs_five_minute_advice(tmp_path: Path) -> None:
    d = prod(tmp_path, 'SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 600, "pool_pre_ping": True}')
    result = await run_check("pool.recycle", d)
    assert result.status is Status.WARN
    assert "600 s, above the 300 s" in result.summary


async def test_missing_pre_ping_warns(tmp_path: Path) -> None:
    d = prod(tmp_path, 'SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 280}')
    result = await run_check("pool.recycle", d)
    assert result.status is Status.WARN
    assert "pool_pre_ping is not True" in result.summary
    assert result.evidence["pool_pre_ping"] == "not set"


async def test_minus_one_disables_recycling_and_fails(tmp_path: Path) -> None:
    d = prod(tmp_path, 'SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": -1, "pool_pre_ping": True}')
    result = await run_check("pool.recycle", d)
    assert result.status is Status.FAIL and "turns recycling off" in result.summary


async def test_legacy_key_fails_on_flask_sqlalchemy_3(tmp_path: Path) -> None:
    d = prod(tmp_path, "SQLALCHEMY_POOL_RECYCLE = 280", requirements="Flask-SQLAlchemy==3.1.1\n")
    result = await run_check("pool.recycle", d)
    assert result.status is Status.FAIL
    assert "legacy SQLALCHEMY_POOL_RECYCLE" in result.summary and "ignores" in result.summary


async def test_legacy_key_counts_when_flask_sqlalchemy_2_is_pinned(tmp_path: Path) -> None:
    d = prod(
        tmp_path,
        'SQLALCHEMY_POOL_RECYCLE = 280\nSQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}',
        requirements="flask_sqlalchemy==2.5.1\n",
    )
    result = await run_check("pool.recycle", d)
    assert result.status is Status.PASS and "280 s" in result.summary


async def test_value_from_the_environment_wins_over_the_default(tmp_path: Path) -> None:
    body = (
        'SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": int(os.getenv("POOL_RECYCLE", "280")),'
        ' "pool_pre_ping": True}'
    )
    d = prod(tmp_path, body)
    default = await run_check("pool.recycle", d)
    assert default.status is Status.PASS
    assert "POOL_RECYCLE unset, so its default" in default.evidence["pool_recycle"]
    override = await run_check("pool.recycle", d, {"POOL_RECYCLE": "3600"})
    assert override.status is Status.FAIL and "3600 s" in override.summary
    assert "POOL_RECYCLE from the environment" in override.evidence["pool_recycle"]


async def test_a_string_from_the_environment_fails(tmp_path: Path) -> None:
    body = 'SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": os.getenv("POOL_RECYCLE", 280)}'
    result = await run_check("pool.recycle", prod(tmp_path, body), {"POOL_RECYCLE": "280"})
    assert result.status is Status.FAIL
    assert "the string '280'" in result.summary and "int()" in result.summary


async def test_options_built_at_run_time_warn_that_they_cannot_be_read(tmp_path: Path) -> None:
    d = prod(tmp_path, "SQLALCHEMY_ENGINE_OPTIONS = engine_options()")
    result = await run_check("pool.recycle", d)
    assert result.status is Status.WARN
    assert "computed at run time" in result.summary and "engine_options()" in result.summary


async def live_verdict(backend: Path, db_connect: Result) -> Result:
    """pool.recycle run alone with a finished db.connect result already in the context."""
    registry = default_registry()
    ctx = Context.build(Settings(backend_dir=backend), environ={})
    ctx.results["db.connect"] = db_connect
    try:
        return await run_one(registry["pool.recycle"], ctx)
    finally:
        ctx.close()


def db_connect_result(status: Status, **facts: object) -> Result:
    return Result(
        id="db.connect",
        section="1.1",
        title="Database answers",
        status=status,
        summary="Connected.",
        kind="live",
        facts=facts,
    )


async def test_live_wait_timeout_below_pool_recycle_fails() -> None:
    result = await live_verdict(
        GOOD, db_connect_result(Status.PASS, wait_timeout=200, is_tidb=False)
    )
    assert result.status is Status.FAIL
    assert "not below the live server's wait_timeout (200 s)" in result.summary
    assert result.evidence["live wait_timeout"] == "200 s (db.connect)"
    assert "not TiDB" in result.evidence["server"]


async def test_live_wait_timeout_above_pool_recycle_passes_and_names_it() -> None:
    result = await live_verdict(
        GOOD, db_connect_result(Status.PASS, wait_timeout=28800, is_tidb=True)
    )
    assert result.status is Status.PASS
    assert "the server's 28800 s wait_timeout" in result.summary
    assert "server" not in result.evidence


@pytest.mark.parametrize("status", [Status.FAIL, Status.SKIP, Status.ERROR])
async def test_failed_db_connect_gives_the_static_verdict_naming_its_status(
    status: Status,
) -> None:
    result = await live_verdict(GOOD, db_connect_result(status))
    assert result.status is Status.PASS
    assert f"not compared (db.connect: {status})" in result.summary
