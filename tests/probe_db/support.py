"""Running the database checks through the real runner, against the private MariaDB."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Result
from launchtui.core.registry import default_registry
from launchtui.core.runner import run

FIXTURES = Path(__file__).parent / "fixtures"


async def run_checks(
    env: dict[str, str],
    only: Iterable[str],
    *,
    ca_file: Path | None = None,
    backend_dir: Path | None = None,
) -> dict[str, Result]:
    """The results of `only` (and what they need), by id."""
    settings = Settings(ca_file=ca_file, backend_dir=backend_dir)
    ctx = Context.build(settings, environ=env)
    try:
        final = await run(default_registry(), ctx, only=list(only))
    finally:
        ctx.close()
    return {r.id: r for r in final.results}


async def db_connect(url: str, *, ca_file: Path | None = None) -> Result:
    results = await run_checks({"DATABASE_URL": url}, ["db.connect"], ca_file=ca_file)
    return results["db.connect"]
