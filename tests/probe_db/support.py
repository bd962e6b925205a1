"""Running the database checks through the real runner, against the private MariaDB."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from launchtui.core.config import Settings
from launchtui.core.model import Result
from tests import runner
from tests.servers.mariadb import MariaDB

FIXTURES = Path(__file__).parent / "fixtures"


def stamp(mariadb: MariaDB, db: str, *revisions: str) -> None:
    """Record revisions in alembic_version, as `flask db stamp` would."""
    mariadb.root_sql(
        f"CREATE TABLE `{db}`.alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"
    )
    for rev in revisions:
        mariadb.root_sql(f"INSERT INTO `{db}`.alembic_version VALUES (%s)", (rev,))


async def run_checks(
    env: dict[str, str],
    only: Iterable[str],
    *,
    ca_file: Path | None = None,
    backend_dir: Path | None = None,
) -> dict[str, Result]:
    """The results of `only` (and what they need), by id."""
    settings = Settings(ca_file=ca_file, backend_dir=backend_dir)
    final = await runner.run_checks(only, env, settings)
    return {r.id: r for r in final.results}


async def db_connect(url: str, *, ca_file: Path | None = None) -> Result:
    results = await run_checks({"DATABASE_URL": url}, ["db.connect"], ca_file=ca_file)
    return results["db.connect"]
