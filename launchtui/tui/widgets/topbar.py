"""The top line: the app, the profile, and the readiness of the whole checklist."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label

from launchtui.tui.board import Board
from launchtui.tui.widgets.badges import glyph


class TopBar(Horizontal):
    """`launchtui · production        ✘ 17/21 ready, 2 warn, 2 fail · watching`."""

    def __init__(self, board: Board, profile: str | None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.board = board
        self.profile = profile

    def compose(self) -> ComposeResult:
        yield Label(self._brand(), id="brand")
        yield Label(id="readiness")
        yield Label(id="watch")

    def _brand(self) -> Content:
        return Content.assemble(
            ("launchtui", "bold"), "  ", (self.profile or "no profile", "$text-muted")
        )

    def set_profile(self, profile: str | None) -> None:
        self.profile = profile
        self.query_one("#brand", Label).update(self._brand())

    def refresh_status(self, *, watching: float | None) -> None:
        from launchtui.core.report import readiness

        board = self.board
        results = board.merged()
        parts: list[Content | str | tuple[str, str]] = []
        if results:
            worst = max(results, key=lambda r: r.status.rank)
            parts += [glyph(worst.status), " "]
        if results and len(results) == len(board.checks):
            parts.append((readiness(results), "bold"))
        elif board.checks:
            parts.append((f"{len(results)}/{len(board.checks)} checked", "bold"))
        running = board.in_flight()
        if running:
            parts += [("  ·  ", "$text-muted"), (f"checking {running}…", "$text-accent")]
        self.query_one("#readiness", Label).update(Content.assemble(*parts))
        watch = self.query_one("#watch", Label)
        watch.display = watching is not None
        if watching is not None:
            watch.update(Content.styled(f"◉ watch {watching:g}s", "$text-accent"))
