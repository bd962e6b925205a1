"""The sidebar: the checklist's sections, each with its most urgent status and its counts."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from launchtui.core.registry import INCIDENT_STEPS, SECTIONS
from launchtui.tui.board import Board
from launchtui.tui.widgets.badges import SPINNER, STATUS_STYLE, counts_line


class SectionList(OptionList):
    """One line per section: `✘ 1.1 Environment variables   ✔9 ✘1`.

    Compact (narrow terminals): `✘ 1.1  ✔9 ✘1` over the title, cut to fit.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "app.focus('items')", "Items", show=False)
    ]

    def __init__(self, board: Board, *, compact_below: int = 0, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.board = board
        self.compact = False
        self.compact_below = compact_below
        self.border_title = "Checklist"

    def on_mount(self) -> None:
        self.rebuild()

    def rebuild(self) -> None:
        """One option per section of the board, the first one highlighted."""
        self.set_options(Option(self._prompt(s, 0), id=s) for s in self.board.sections())
        self.highlighted = 0

    @property
    def section(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None

    def show_section(self, section: str) -> None:
        self.highlighted = self.get_option_index(section)

    def on_resize(self) -> None:
        self.compact = self.screen.size.width < self.compact_below
        self.refresh_counts(0)

    def refresh_counts(self, frame: int) -> None:
        for index, section in enumerate(self.board.sections()):
            self.replace_option_prompt_at_index(index, self._prompt(section, frame))

    def _prompt(self, section: str, frame: int) -> Content:
        board = self.board
        status = board.section_status(section)
        if board.section_running(section):
            mark = Content.styled(f"{SPINNER[frame % len(SPINNER)]} ", "$text-accent")
        elif status is not None:
            mark = Content.styled(f"{status.glyph} ", STATUS_STYLE[status] + " bold")
        else:
            mark = Content("  ")
        counts = counts_line(board.section_counts(section))
        if not board.in_section(section):
            waiting = (
                "loading…"
                if not board.loaded
                else "incident"
                if section in INCIDENT_STEPS
                else "no checks"
            )
            counts = Content.styled(waiting, "$text-muted italic")
        name = SECTIONS.get(section, "")
        if self.compact:
            title = Content.styled(name, "$text-muted")
            return Content.assemble(mark, (f"{section}  ", "bold"), counts, "\n", title)
        # Numbers padded to one width, so the titles start in one column; counts at the right.
        number = Content.styled(f"{section:<4}", "bold")
        room = self.scrollable_content_region.width - mark.cell_length - 4 - counts.cell_length
        title = Content(name).truncate(max(room - 1, 0), ellipsis=True)
        gap = " " * max(room - title.cell_length, 1)
        return Content.assemble(mark, number, title, gap, counts)
