"""The items of one section, each with its live badge."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from launchtui.core.registry import INCIDENT_STEPS, SECTIONS
from launchtui.tui.board import Board, Phase
from launchtui.tui.widgets.badges import badge, badge_word, glyph, phase_badge


class CheckList(OptionList):
    """The selected section's checks: badge, title, and what changed or was signed off."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "app.focus('sections')", "Sections", show=False),
        Binding("right", "app.focus('detail')", "Detail", show=False),
    ]

    def __init__(self, board: Board, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.board = board
        self.section: str | None = None

    @property
    def check_id(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None

    def show_section(self, section: str, *, select: str | None = None, force: bool = False) -> None:
        """List a section's checks, keeping or moving the highlight."""
        if section != self.section or force:
            self.section = section
            self.border_title = f"{section} {SECTIONS.get(section, '')}"
            checks = self.board.in_section(section)
            width = self._badge_width()
            self.set_options(Option(self._prompt(c.id, 0, width), id=c.id) for c in checks)
            if not checks:
                self.add_options(self._incident_lines(section))
                return
            self.highlighted = 0
        if select is not None:
            self.highlighted = self.get_option_index(select)

    def _incident_lines(self, section: str) -> list[Option]:
        """An incident section without checks: the checklist's step and the consoles it names."""
        step = INCIDENT_STEPS.get(section)
        if step is None:
            return [Option(Content.styled("No checks here yet.", "$text-muted"), disabled=True)]
        text, link_keys = step
        links = getattr(self.app, "settings", None)
        configured = dict(getattr(links, "links", {}) or {})
        from launchtui.runbooks import for_section

        lines = [Option(Content.styled(f"In an incident: {text}", "$text"), disabled=True)]
        runbook = for_section(section)
        if runbook is not None:
            lines.append(
                Option(
                    Content.styled(
                        f"Enter on {section} (or i) runs `launchtui runbook {runbook.name}`.",
                        "$text-accent",
                    ),
                    disabled=True,
                )
            )
        for key in link_keys:
            url = configured.get(key)
            shown = url or f"set links.{key} in the profile"
            lines.append(Option(Content.styled(f"  {key}: {shown}", "$text-muted"), disabled=True))
        return lines

    def refresh_rows(self, frame: int) -> None:
        width = self._badge_width()
        for index, check in enumerate(self.board.in_section(self.section or "")):
            self.replace_option_prompt_at_index(index, self._prompt(check.id, frame, width))

    def _badge_width(self) -> int:
        """The longest badge word in this section: the column is no wider than it needs."""
        board = self.board
        words = [
            badge_word(shown.status if (shown := board.shown(c.id)) else None, board.phase(c.id))
            for c in board.in_section(self.section or "")
        ]
        return max(map(len, words), default=4)

    def _prompt(self, cid: str, frame: int, width: int) -> Content:
        board = self.board
        check = board.checks[cid]
        phase = board.phase(cid)
        shown = board.shown(cid)
        if phase in (Phase.RUNNING, Phase.QUEUED) or shown is None:
            head = phase_badge(phase, frame, width=width)
        else:
            head = badge(shown.status, stale=board.is_stale(cid), width=width)
        parts: list[Content | str] = [head, check.title]
        was = board.changed_from(cid)
        if was is not None and phase is Phase.DONE:
            parts += ["  ", Content.styled("was ", "$text-warning"), glyph(was)]
        if cid in board.signoffs:
            parts += ["  ", Content.styled("✓ signed", "$text-success")]
        return Content.assemble(*parts)
