"""The sidebar: the checklist's sections, each with its most urgent status and its counts."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from launchtui.core.registry import SECTIONS
from launchtui.tui.board import Board
from launchtui.tui.widgets.badges import SPINNER, counts_line, glyph


class SectionList(OptionList):
    """One option per section: `✘ 1.1 Environment variables` over `✔ 5  ✘ 2`.

    Compact (narrow terminals): `✘ 1.1  ✔5 ✘2` over the title, cut to fit.
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
        compact = self.screen.size.width < self.compact_below
        if compact != self.compact:
            self.compact = compact
            self.refresh_counts(0)

    def refresh_counts(self, frame: int) -> None:
        for index, section in enumerate(self.board.sections()):
            self.replace_option_prompt_at_index(index, self._prompt(section, frame))

    def _prompt(self, section: str, frame: int) -> Content:
        board = self.board
        running = board.section_running(section)
        status = board.section_status(section)
        if running:
            mark = Content.styled(SPINNER[frame % len(SPINNER)], "$text-accent")
        elif status is not None:
            mark = glyph(status)
        else:
            mark = Content(" ")
        counts = board.section_counts(section)
        if self.compact:
            tight = counts_line(counts, tight=True)
            name = (SECTIONS.get(section, ""), "$text-muted")
            return Content.assemble(mark, " ", (section, "bold"), "  ", tight, "\n  ", name)
        title = Content.assemble(mark, " ", (section, "bold"), " ", SECTIONS.get(section, ""))
        if not board.in_section(section):
            waiting = "loading…" if not board.loaded else "no checks yet"
            detail = Content.styled(waiting, "$text-muted italic")
        else:
            detail = counts_line(counts)
            if running:
                more = Content.styled(f"{running} running", "$text-muted")
                detail = Content.assemble(detail, "  ", more) if detail else more
        return Content.assemble(title, "\n  ", detail)
