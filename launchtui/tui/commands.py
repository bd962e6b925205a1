"""Command palette providers: every check (jump to it, run it again) and every action."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from textual.command import DiscoveryHit, Hit, Hits, Provider

from launchtui.tui.actions import ACTIONS

if TYPE_CHECKING:
    from launchtui.tui.app import LaunchApp


class PaletteEntry(NamedTuple):
    text: str
    command: Callable[[], object]
    help: str
    listed: bool  # shown before anything is typed


class ChecksProvider(Provider):
    """Every check in the palette: jump to it, or run it again."""

    def _entries(self) -> list[PaletteEntry]:
        app: LaunchApp = self.app  # type: ignore[assignment]
        board = app.board
        jumps, reruns = [], []
        for check in board.checks.values():
            shown = board.shown(check.id)
            where = (
                f"{shown.status.glyph} {shown.status}: {shown.summary}" if shown else "Not run yet."
            )
            jumps.append(
                PaletteEntry(
                    f"{check.id}  {check.title}", partial(app.select_check, check.id), where, True
                )
            )
            reruns.append(
                PaletteEntry(
                    f"Re-run {check.id}",
                    partial(app.rerun_check, check.id),
                    f"Run {check.title!r} again.",
                    False,
                )
            )
        return jumps + reruns

    async def discover(self) -> Hits:
        for entry in self._entries():
            if entry.listed:
                yield DiscoveryHit(entry.text, entry.command, help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score = matcher.match(entry.text)
            if score > 0:
                highlighted = matcher.highlight(entry.text)
                yield Hit(score, highlighted, entry.command, text=entry.text, help=entry.help)


class ActionsProvider(Provider):
    """The app's own keys, the actions and the runbooks in the palette."""

    def _entries(self) -> list[PaletteEntry]:
        from launchtui.actions import default_actions

        keys = [
            PaletteEntry(a.title, partial(self.screen.run_action, a.action), a.help, True)
            for a in ACTIONS
        ]
        app: LaunchApp = self.app  # type: ignore[assignment]
        actions = [
            PaletteEntry(
                f"{a.title} (launchtui {a.id.replace('-', ' ')})",
                partial(app.action_run_action, a.id),
                a.help or f"Checklist {a.section}: plan first, then your go.",
                True,
            )
            for a in default_actions().values()
        ]
        from launchtui.runbooks import default_runbooks

        runbooks = [
            PaletteEntry(
                f"Runbook {rb.section} {rb.title} (launchtui runbook {rb.name})",
                partial(app.open_runbook, rb.name),
                "Probe the incident layer by layer and name the broken layer.",
                True,
            )
            for rb in default_runbooks().values()
        ]
        return actions + runbooks + keys

    async def discover(self) -> Hits:
        for entry in self._entries():
            yield DiscoveryHit(entry.text, entry.command, help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score = matcher.match(f"{entry.text} {entry.help}")
            if score > 0:
                yield Hit(score, matcher.highlight(entry.text), entry.command, help=entry.help)
