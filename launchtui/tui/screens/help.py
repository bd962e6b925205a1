"""The help screen: every key, and what each badge means, on one 80x24 page."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label

from launchtui.core.model import STATUS_ORDER, Status
from launchtui.tui.actions import ACTIONS
from launchtui.tui.widgets.badges import badge

NAVIGATION = "↑↓ move  ←→ panels  tab next  enter open  ctrl+p find a check"

MEANING = {
    Status.PASS: "Verified: nothing to do.",
    Status.WARN: "Works, but fix it before launch if you can.",
    Status.FAIL: "Wrong, missing or unreachable: fix it before launch.",
    Status.ERROR: "launchtui could not run the check (a bug or a missing tool).",
    Status.SKIP: "Not configured, or a check it needs did not pass.",
    Status.MANUAL: "A person must confirm it, then sign it off with space.",
}


class HelpScreen(ModalScreen[None]):
    """Keys and badges."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", key_display="esc")
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Label("Keys", classes="heading")
            with Grid(classes="help-grid"):
                for action in ACTIONS:
                    # The footer's ␣ is short; here the key gets its name.
                    key = "space" if action.key == "space" else action.key_display or action.key
                    yield Label(key, classes="key")
                    yield Label(action.help)
            yield Label(Content.styled(NAVIGATION, "$text-muted"), id="help-navigation")
            yield Label("Badges", classes="heading")
            with Grid(classes="help-grid"):
                for status in STATUS_ORDER:
                    yield Label(badge(status), classes="key")
                    yield Label(MEANING[status])

    def on_mount(self) -> None:
        help_panel = self.query_one("#help")
        help_panel.border_title = "launchtui help"
        help_panel.border_subtitle = "esc closes"
