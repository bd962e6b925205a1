"""Run one check through the real runner against the loopback sites."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Result
from launchtui.core.registry import default_registry
from launchtui.core.runner import run


async def run_check(
    check_id: str, *, environ: Mapping[str, str] | None = None, **settings: Any
) -> Result:
    """The result of `check_id` for these settings and this explicit environment."""
    ctx = Context.build(Settings(**settings), environ=dict(environ or {}))
    try:
        final = await run(default_registry(), ctx, only=[check_id])
    finally:
        ctx.close()
    (result,) = [r for r in final.results if r.id == check_id]
    return result
