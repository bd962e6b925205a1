"""Running the Cloudinary checks through the real runner, with an explicit environment."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import RunFinished
from launchtui.core.registry import default_registry
from launchtui.core.runner import run

RunChecks = Callable[..., Awaitable[RunFinished]]


@pytest.fixture
async def run_checks() -> AsyncIterator[RunChecks]:
    """`await run_checks(env, "cloudinary.api", ...)`: the run's final event."""
    contexts: list[Context] = []

    async def _run(env: dict[str, str], *ids: str, settings: Settings | None = None) -> RunFinished:
        ctx = Context.build(settings or Settings(), environ=env)
        contexts.append(ctx)
        return await run(default_registry(), ctx, only=list(ids))

    yield _run
    for ctx in contexts:
        ctx.close()
