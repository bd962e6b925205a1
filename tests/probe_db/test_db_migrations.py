"""db.migrations against a real MariaDB and real Alembic revision trees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from launchtui.core.model import Result, Status
from tests.probe_db.support import FIXTURES, run_checks, stamp
from tests.servers.mariadb import MariaDB

LINEAR = FIXTURES / "linear"
BRANCHED = FIXTURES / "branched"
BASE, MIDDLE, HEAD = "1a0f3c2b9d01", "2b1e4d3c0e12", "3c2d5e4f1f23"


@pytest.fixture
def fresh_db(mariadb: MariaDB) -> Iterator[str]:
    """A new, empty database the app user owns, dropped after the test."""
    name = mariadb.create_database("mig")
    yield name
    mariadb.drop_database(name)


async def migrations(mariadb: MariaDB, db: str, backend_dir: Path) -> Result:
    results = await run_checks(
        {"DATABASE_URL": mariadb.url_for(database=db)}, ["db.migrations"], backend_dir=backend_dir
    )
    return results["db.migrations"]


async def test_database_at_the_single_head_passes(mariadb: MariaDB, fresh_db: str) -> None:
    stamp(mariadb, fresh_db, HEAD)
    result = await migrations(mariadb, fresh_db, LINEAR)
    assert result.status is Status.PASS, result.summary
    assert f"at the migrations head, {HEAD} (add images)" in result.summary
    assert result.evidence["database revision"] == HEAD


async def test_database_behind_fails_naming_revisions_and_how_far_behind(
    mariadb: MariaDB, fresh_db: str
) -> None:
    stamp(mariadb, fresh_db, BASE)
    result = await migrations(mariadb, fresh_db, LINEAR)
    assert result.status is Status.FAIL
    assert f"at {BASE}, 2 revisions behind the migrations head {HEAD}" in result.summary
    assert result.command == "flask db upgrade"
    assert result.evidence["pending"] == f"{MIDDLE} (add posts), {HEAD} (add images)"


async def test_unknown_revision_fails_as_another_branch_or_ahead(
    mariadb: MariaDB, fresh_db: str
) -> None:
    stamp(mariadb, fresh_db, "9f9e8d7c6b5a")
    result = await migrations(mariadb, fresh_db, LINEAR)
    assert result.status is Status.FAIL
    assert "9f9e8d7c6b5a, which is not in migrations/" in result.summary
    assert "ahead of this checkout" in result.summary
    assert result.command == "git log --all --oneline -S 9f9e8d7c6b5a -- migrations/"


async def test_branched_history_with_two_heads_fails_with_merge_command(
    mariadb: MariaDB, fresh_db: str
) -> None:
    stamp(mariadb, fresh_db, BASE)
    result = await migrations(mariadb, fresh_db, BRANCHED)
    assert result.status is Status.FAIL
    assert "has 2 heads" in result.summary
    assert "branched" in result.summary
    assert result.command == 'flask db merge heads -m "merge"'


async def test_missing_version_table_on_an_empty_database_asks_for_upgrade(
    mariadb: MariaDB, fresh_db: str
) -> None:
    result = await migrations(mariadb, fresh_db, LINEAR)
    assert result.status is Status.FAIL
    assert "no alembic_version table and no tables" in result.summary
    assert result.command == "flask db upgrade"


async def test_missing_version_table_with_existing_tables_suggests_stamping(
    mariadb: MariaDB, fresh_db: str
) -> None:
    mariadb.root_sql(f"CREATE TABLE `{fresh_db}`.users (id INT PRIMARY KEY)")
    result = await migrations(mariadb, fresh_db, LINEAR)
    assert result.status is Status.FAIL
    assert "already has 1 table, so Alembic" in result.summary
    assert result.command == "flask db stamp head"
    assert result.evidence["other tables"] == "users"


async def test_backend_without_migrations_dir_is_skipped_with_reason(
    mariadb: MariaDB, tmp_path: Path
) -> None:
    result = await migrations(mariadb, mariadb.database, tmp_path)
    assert result.status is Status.SKIP
    assert f"{tmp_path / 'migrations'} does not exist" in result.summary


async def test_migrations_are_skipped_when_db_connect_fails(mariadb: MariaDB) -> None:
    wrong = mariadb.url_for(query=f"ssl_ca={mariadb.wrong_ca_pem}")
    results = await run_checks({"DATABASE_URL": wrong}, ["db.migrations"], backend_dir=LINEAR)
    result = results["db.migrations"]
    assert result.status is Status.SKIP
    assert "needs db.connect (fail)" in result.summary
