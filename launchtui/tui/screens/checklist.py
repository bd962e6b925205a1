"""The main screen: sections on the left, their items, and the selected item's detail."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container, Horizontal
from textual.screen import Screen
from textual.widgets import Footer, OptionList

from launchtui.tui.actions import ACTIONS
from launchtui.tui.board import Board
from launchtui.tui.widgets.checklist import CheckList
from launchtui.tui.widgets.detail import CheckDetail
from launchtui.tui.widgets.sections import SectionList
from launchtui.tui.widgets.topbar import TopBar

if TYPE_CHECKING:
    from launchtui.tui.app import LaunchApp


# Below this width the sidebar shrinks to counts; from WIDE on, the detail sits beside the items.
NARROW_BELOW, WIDE = 100, 160


class ChecklistScreen(Screen[None]):
    """The checklist as live panels; every key of the action registry is bound here."""

    BINDINGS: ClassVar[list[BindingType]] = [a.binding() for a in ACTIONS]
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-narrow"),
        (NARROW_BELOW, "-medium"),
        (WIDE, "-wide"),
    ]
    AUTO_FOCUS = "#items"

    def __init__(self, board: Board, profile: str | None) -> None:
        super().__init__(id="checklist")
        self.board = board
        self.profile = profile

    @property
    def launch_app(self) -> LaunchApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TopBar(self.board, self.profile, id="topbar")
        with Horizontal(id="body"):
            yield SectionList(self.board, compact_below=NARROW_BELOW, id="sections")
            with Container(id="main"):
                yield CheckList(self.board, id="items")
                yield CheckDetail(self.board, id="detail")
        yield Footer(compact=True)

    # -- what is selected ----------------------------------------------------

    @property
    def check_id(self) -> str | None:
        return self.query_one(CheckList).check_id

    def select_check(self, cid: str) -> None:
        """Show a check wherever it is: its section, highlighted, in the detail."""
        section = self.board.checks[cid].section
        self.query_one(SectionList).show_section(section)
        items = self.query_one(CheckList)
        items.show_section(section, select=cid)
        self.query_one(CheckDetail).show(cid)
        items.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        items = self.query_one(CheckList)
        if event.option_list.id == "sections" and event.option_id is not None:
            items.show_section(event.option_id)
        self.query_one(CheckDetail).show(items.check_id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        from launchtui.core.registry import INCIDENT_STEPS

        section = event.option_id if event.option_list.id == "sections" else None
        if section in INCIDENT_STEPS:
            from launchtui.runbooks import for_section

            runbook = for_section(section)
            if runbook is not None:  # an incident: enter runs its runbook
                self.launch_app.open_runbook(runbook.name)
                return
        target = "#items" if event.option_list.id == "sections" else "#detail"
        self.query_one(target).focus()

    def set_profile(self, profile: str | None) -> None:
        """A new profile is in use: the top bar names it."""
        self.profile = profile
        self.query_one(TopBar).set_profile(profile)

    def reload(self) -> None:
        """The checks were loaded: rebuild the lists."""
        sections = self.query_one(SectionList)
        sections.rebuild()
        self.query_one(CheckList).show_section(sections.section or "1.1", force=True)
        self.refresh_board(0, watching=None)

    def refresh_board(self, frame: int, *, watching: float | None) -> None:
        """Redraw every panel from the board."""
        if self._torn_down():
            return
        with self.app.batch_update():
            self.query_one(TopBar).refresh_status(watching=watching)
            self.refresh_rows(frame)
            self.query_one(CheckDetail).show(self.check_id)

    def refresh_rows(self, frame: int) -> None:
        """Redraw the badges and counts (spinners move on every frame)."""
        if self._torn_down():
            return
        self.query_one(SectionList).refresh_counts(frame)
        self.query_one(CheckList).refresh_rows(frame)

    def _torn_down(self) -> bool:
        # Runs report until they are stopped, which can be after the panels are gone.
        return any(not self.query(panel) for panel in (TopBar, SectionList, CheckList, CheckDetail))

    # -- actions that need the selection ------------------------------------

    def action_rerun(self) -> None:
        if self.check_id is not None:
            self.launch_app.rerun_check(self.check_id)

    def action_fix(self) -> None:
        if self.check_id is not None:
            self.launch_app.run_fix(self.check_id)

    def action_sign_off(self) -> None:
        if self.check_id is not None:
            self.launch_app.toggle_signoff(self.check_id)

    def action_copy_command(self) -> None:
        cid = self.check_id
        shown = self.board.shown(cid) if cid else None
        if shown is None or not shown.command:
            self.notify("This check has no command to copy.", severity="warning")
            return
        self.app.copy_to_clipboard(shown.command)
        self.notify(shown.command, title="Copied to the clipboard")
