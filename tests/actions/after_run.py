"""Driving `after_backup` in-process, as the backup actions do, and collecting what it said."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launchtui.actions.backup_after import AfterDone, after_backup
from launchtui.core.actions import Output, Progress
from launchtui.core.config import Settings
from launchtui.core.context import Context
from tests.servers.s3 import Bucket


@dataclass
class AfterRun:
    done: AfterDone
    lines: list[str] = field(default_factory=list)
    progress: list[Progress] = field(default_factory=list)
    ctx: Context | None = field(default=None, repr=False)  # its env holds the secret

    def text(self) -> str:
        """Every word the step produced, for leak checks."""
        return "\n".join([*self.lines, *(p.message for p in self.progress), repr(self.done)])


def context(
    backup_dir: Path,
    bucket: Bucket | None = None,
    *,
    prefix: str = "nightly",
    keep: int | None = None,
    offsite: str | None = None,
    endpoint: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Context:
    """A Context whose profile points offsite at `bucket` (or at `offsite`/`endpoint`)."""
    settings = Settings(
        backup_dir=backup_dir,
        offsite=offsite if offsite is not None else (bucket.url(prefix) if bucket else None),
        offsite_endpoint=endpoint
        if endpoint is not None
        else (bucket.endpoint if bucket else None),
        keep=keep,
    )
    env = dict(environ) if environ is not None else (bucket.environ() if bucket else {})
    return Context.build(settings, environ=env)


async def run_after(
    ctx: Context, path: Path, kind: str = "database", options: Mapping[str, Any] | None = None
) -> AfterRun:
    """Run the step to its end; exactly one AfterDone, and it comes last."""
    events: list[Any] = []
    try:
        async for event in after_backup(ctx, dict(options or {}), kind, path):  # type: ignore[arg-type]
            events.append(event)
    finally:
        ctx.close()
    dones = [e for e in events if isinstance(e, AfterDone)]
    assert len(dones) == 1 and events[-1] is dones[0], events
    return AfterRun(
        done=dones[0],
        lines=[e.line for e in events if isinstance(e, Output)],
        progress=[e for e in events if isinstance(e, Progress)],
        ctx=ctx,
    )
