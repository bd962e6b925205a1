"""The incident picker (`i` from anywhere): the four runbooks of checklist section 4."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from launchtui.tui.app import LaunchApp


class IncidentPicker(ModalScreen[None]):
    """Pick what is broken; enter opens its runbook."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,i", "dismiss", "Close", key_display="esc"),
    ]

    def compose(self) -> ComposeResult:
        from launchtui.runbooks import default_runbooks

        with Vertical(id="incidents"):
            yield OptionList(
                *(
                    Option(
                        Content.assemble(
                            (f"{rb.section}  ", "bold"),
                            rb.title,
                            (f"   launchtui runbook {rb.name}", "$text-muted"),
                        ),
                        id=rb.name,
                    )
                    for rb in default_runbooks().values()
                ),
                id="incident-list",
            )

    def on_mount(self) -> None:
        panel = self.query_one("#incidents")
        panel.border_title = "What is broken?"
        panel.border_subtitle = "enter runs its runbook · esc closes"

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        app: LaunchApp = self.app  # type: ignore[assignment]
        self.dismiss(None)
        if event.option_id:
            app.open_runbook(event.option_id)
