"""Waiting for the app without sleeping: until its workers are done, or a condition holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Label, OptionList
from textual.worker import WorkerState

from launchtui.tui.app import LaunchApp
from launchtui.tui.widgets.checklist import CheckList
from launchtui.tui.widgets.detail import CheckDetail
from launchtui.tui.widgets.sections import SectionList

_LIVE = (WorkerState.PENDING, WorkerState.RUNNING)


async def settle(pilot: Pilot[object]) -> None:
    """Wait until no worker runs, no check is in flight, and every message is handled."""
    app = pilot.app
    assert isinstance(app, LaunchApp)
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        idle = not any(w.state in _LIVE for w in app.workers) and not app.board.busy()
        if idle and app.board.loaded:
            return
    raise AssertionError("the app never settled")


async def until(pilot: Pilot[object], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until `condition()` holds (about 10 s at most)."""
    for _ in range(500):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def palette_top_hit(pilot: Pilot[object], text: str) -> str:
    """Type `text` into the open command palette; the words of its first hit."""
    await pilot.press(*text)
    options = pilot.app.screen.query_one("CommandList", OptionList)
    await until(pilot, lambda: options.option_count > 0, "palette hits")
    return str(options.get_option_at_index(0).prompt)


async def in_thread(fn: Callable[[], bool]) -> bool:
    """Run a blocking wait (a server's condition) without blocking the app's loop."""
    return await asyncio.to_thread(fn)


def readiness(app: LaunchApp) -> str:
    return str(app.checklist.query_one("#readiness", Label).content)


def item_lines(app: LaunchApp) -> dict[str, str]:
    """The items panel: check id -> the row's text."""
    items = app.checklist.query_one(CheckList)
    return {o.id: str(o.prompt) for o in items.options if o.id is not None}


def detail_text(app: LaunchApp) -> str:
    detail = app.checklist.query_one(CheckDetail)
    parts = [str(w.content) for w in detail.query("Static") if w.display]
    return "\n".join(parts)


def selected(app: LaunchApp) -> tuple[str | None, str | None]:
    """(highlighted section, highlighted check id)."""
    return app.checklist.query_one(SectionList).section, app.checklist.check_id


# -- the setup screen ------------------------------------------------------------------


def setup_open(app: LaunchApp) -> bool:
    """The setup screen is up and mounted (it judges the save path on mount)."""
    from launchtui.tui.screens.setup import SetupScreen

    return isinstance(app.screen, SetupScreen) and "path" in app.screen.judged


async def type_into(pilot: Pilot[object], key: str, text: str) -> None:
    """Focus a setup field, clear it (ctrl+u) and type the text, key by key."""
    from textual.widgets import Input

    pilot.app.screen.query_one(f"#setup-{key}", Input).focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *text)


async def judged(pilot: Pilot[object], key: str, level: str) -> str:
    """Wait until a setup field's judgement has this level; its reason."""
    from launchtui.tui.screens.setup import SetupScreen

    screen = pilot.app.screen
    assert isinstance(screen, SetupScreen)
    await until(
        pilot,
        lambda: (j := screen.judged.get(key)) is not None and j.level == level,
        f"{key} judged {level}",
    )
    return screen.judged[key].reason
