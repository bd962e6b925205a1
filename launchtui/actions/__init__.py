"""Things that change the world: migrations and cleanup, then backups.

Each module defines one `Action` (see `launchtui.core.actions`); `default_actions()`
lists them. `plan_action` and `execute_action` are what the CLI and the TUI call: they
scrub every word that leaves an action of the run's secrets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from launchtui.core.actions import (
    Action,
    ActionError,
    ActionEvent,
    Finished,
    Output,
    Plan,
    Progress,
)
from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Result

__all__ = [
    "Action",
    "ActionError",
    "ActionEvent",
    "Finished",
    "Output",
    "Plan",
    "Progress",
    "default_actions",
    "default_options",
    "execute_action",
    "for_check",
    "plan_action",
    "recheck",
]


def default_actions() -> dict[str, Action]:
    """The shipped actions, by id, in checklist order."""
    from launchtui.actions import cleanup, db_backup, db_restore, media_backup, migrate

    found = [migrate.ACTION, cleanup.ACTION, media_backup.ACTION]
    found += [db_backup.ACTION, db_restore.ACTION]
    return {a.id: a for a in sorted(found, key=lambda a: a.section)}


# What the CLI's flags give when none is passed; the profile fills in the rest.
DEFAULT_COMPRESS = "zstd"
DEFAULT_MAX_WAIT_S = 15 * 60.0


def default_options(action_id: str) -> dict[str, Any]:
    """An action's options with no flag given (the TUI's keys run it so)."""
    offsite = {"offsite": None, "offsite_endpoint": None, "keep": None}
    if action_id == "backup-db":
        return {
            **offsite,
            "compress": DEFAULT_COMPRESS,
            "verify_restore": False,
            "restore_into": None,
            "encrypt_to": [],
            "identity": None,
            "target_password": None,
        }
    if action_id == "backup-media":
        return {**offsite, "download": False, "resume": False, "max_wait": DEFAULT_MAX_WAIT_S}
    return {}


def for_check(check_id: str) -> Action | None:
    """The action whose fix is this check's, if any."""
    return next((a for a in default_actions().values() if check_id in a.fixes), None)


def _scrub_any(ctx: Context, value: Any) -> Any:
    return ctx.redactor.scrub_any(value)


async def plan_action(action: Action, ctx: Context, options: Mapping[str, Any]) -> Plan:
    """The action's plan, its words scrubbed (ActionError when it cannot even look)."""
    try:
        plan = await action.plan(ctx, options)
    except ActionError as exc:
        raise ActionError(ctx.redactor.scrub(str(exc))) from None
    return dataclasses.replace(
        plan,
        summary=ctx.redactor.scrub(plan.summary),
        steps=tuple(ctx.redactor.scrub(s) for s in plan.steps),
        fields=_scrub_any(ctx, dict(plan.fields)),
    )


async def execute_action(
    action: Action, ctx: Context, plan: Plan, options: Mapping[str, Any]
) -> AsyncIterator[ActionEvent]:
    """Carry out a plan: its events, scrubbed; always ends with one `Finished`."""
    scrub = ctx.redactor.scrub
    finished = False
    events = action.execute(ctx, plan, options)
    try:
        async for event in events:
            if isinstance(event, Output):
                yield Output(scrub(event.line))
            elif isinstance(event, Progress):
                yield dataclasses.replace(event, message=scrub(event.message))
            elif isinstance(event, Finished):
                finished = True
                yield dataclasses.replace(
                    event,
                    summary=scrub(event.summary),
                    error=scrub(event.error) if event.error else None,
                    fields=_scrub_any(ctx, dict(event.fields)),
                )
                return
    except ActionError as exc:
        finished = True
        yield Finished(False, scrub(str(exc)), error=scrub(str(exc)))
        return
    finally:
        # Closed early (cancelled, or the face stopped reading): the action cleans up now.
        await events.aclose()  # type: ignore[attr-defined]
    if not finished:
        why = f"{action.id} ended without a result"
        yield Finished(False, why, error=why)


async def recheck(
    ctx: Context, ids: Iterable[str], settings: Settings | None = None
) -> tuple[Result, ...]:
    """Run checks again on a fresh context with the same inputs (or `settings`): new verdicts."""
    from launchtui.core.registry import default_registry
    from launchtui.core.runner import run

    fresh = Context(
        settings=settings or ctx.settings,
        env=ctx.env,
        frontend_env=ctx.frontend_env,
        redactor=ctx.redactor,
    )
    try:
        final = await run(default_registry(), fresh, list(ids))
    finally:
        fresh.close()
    return final.results
