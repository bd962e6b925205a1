"""The shared last step of `backup db` and `backup media`: the offsite copy, then --keep.

Both backup actions call `after_backup` once their local file (and its manifest) is
complete under its final name. It never deletes or damages that local backup: a failed
upload leaves it in place and ends with `AfterDone(ok=False, ...)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from launchtui.core.actions import Output, Progress
from launchtui.core.context import Context


@dataclass(frozen=True)
class AfterDone:
    """The end of the after-backup step: merged into the backup action's ending."""

    ok: bool
    summary: str  # one sentence, appended to the action's own summary
    fields: dict[str, Any] = field(default_factory=dict)  # merged into the JSON ending


async def after_backup(
    ctx: Context,
    options: Mapping[str, Any],
    kind: Literal["database", "media"],
    path: Path,
) -> AsyncIterator[Output | Progress | AfterDone]:
    """The offsite copy (options["offsite"] or ctx.settings.offsite), then --keep retention
    (options["keep"] or ctx.settings.keep); always ends with one AfterDone."""
    # Placeholder while the real step is built: nothing configured means nothing to do.
    yield AfterDone(ok=True, summary="", fields={})
