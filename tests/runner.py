"""Running checks in-process through the real runner, with an explicit environment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Result, RunFinished
from launchtui.core.registry import default_registry
from launchtui.core.runner import run


async def run_checks(
    ids: Iterable[str],
    environ: Mapping[str, str] | None = None,
    settings: Settings | None = None,
) -> RunFinished:
    """Run `ids` (and what they need) on a fresh Context; the run's final event."""
    ctx = Context.build(settings or Settings(), environ=dict(environ or {}))
    try:
        return await run(default_registry(), ctx, only=list(ids))
    finally:
        ctx.close()


def only_result(final: RunFinished, check_id: str) -> Result:
    """The one reported result with this id."""
    found = [r for r in final.results if r.id == check_id]
    assert len(found) == 1, [r.id for r in final.results]
    return found[0]


async def run_check(
    check_id: str,
    environ: Mapping[str, str] | None = None,
    settings: Settings | None = None,
) -> Result:
    """Run one check (and what it needs); its result."""
    return only_result(await run_checks([check_id], environ, settings), check_id)
